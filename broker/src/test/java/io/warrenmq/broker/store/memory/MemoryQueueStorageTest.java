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
    return new MemoryDefinitionStore()
        .queueDeclared("/", "pq", true, false, java.util.Map.of("x-max-priority", 10));
  }
}
