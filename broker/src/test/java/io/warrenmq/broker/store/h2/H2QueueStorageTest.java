package io.warrenmq.broker.store.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.QueueStorageContract;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
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

  @Test
  void aPriorityQueuePagesPastTheQueuesBoundNotEachPrioritysBound() {
    QueueStorage q = newPriorityStorage();
    for (int i = 0; i < PAGE_BOUND * 2; i++) {
      q.add(
          QueueEntry.restored(
              QueueEntry.position(i % 2 == 0 ? 0 : 5, i), message("x", true), false));
    }
    assertEquals(PAGE_BOUND * 2, q.size());
    assertEquals(PAGE_BOUND, q.bytes(), "one octet each, and only the queue's bound on the heap");
    QueueEntry e;
    int polled = 0;
    while ((e = q.poll()) != null) {
      assertEquals(polled < PAGE_BOUND ? 5 : 0, e.priority());
      q.settle(e);
      e.message().release();
      polled++;
    }
    assertEquals(PAGE_BOUND * 2, polled);
    q.destroy();
  }
}
