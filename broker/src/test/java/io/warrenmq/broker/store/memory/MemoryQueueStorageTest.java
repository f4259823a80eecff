package io.warrenmq.broker.store.memory;

import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.QueueStorageContract;

class MemoryQueueStorageTest extends QueueStorageContract {

  @Override
  protected QueueStorage newStorage() {
    return new MemoryQueueStorage();
  }

  @Override
  protected QueueStorage newPriorityStorage() {
    return new io.warrenmq.broker.store.PriorityLevels(priority -> new MemoryQueueStorage());
  }
}
