package io.warrenmq.broker.store.h2;

import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.QueueStorageContract;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The H2 storage of a durable queue, paging past {@link #PAGE_BOUND} messages. */
class H2QueueStorageTest extends QueueStorageContract {

  @TempDir Path dir;
  private H2Store store;

  @Override
  protected QueueStorage newStorage() {
    store = H2Store.open(dir, memory, new H2Store.PagingLimits(PAGE_BOUND, 1024 * 1024));
    return store.queueDeclared("/", "q", true, false, Map.of());
  }

  @Override
  protected QueueStorage newPriorityStorage() {
    return store.queueDeclared("/", "pq", true, false, Map.of("x-max-priority", 10));
  }

  @Override
  protected void closeStorage() {
    store.close();
  }
}
