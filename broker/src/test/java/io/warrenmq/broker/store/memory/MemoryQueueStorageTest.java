package io.warrenmq.broker.store.memory;

import io.warrenmq.broker.store.QueueStorage;
import io.warrenmq.broker.store.QueueStorageContract;

class MemoryQueueStorageTest extends QueueStorageContract {

  @Override
  protected QueueStorage newStorage() {
    return new MemoryQueueStorage();
  }
}
