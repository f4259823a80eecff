package io.warrenmq.broker.store.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Past its own bound, a queue keeps messages on the heap while all messages in the broker hold less
 * than the shared paging allowance, and pages the rest out in order once they hold more.
 */
class H2SharedPagingTest {

  private static final int OWN_BOUND = 10;
  private static final int BODY = 1000;

  @TempDir Path dir;
  private final MemoryAccount memory = new MemoryAccount();

  private Message message(int i) {
    byte[] body = new byte[BODY];
    body[0] = (byte) i;
    return Message.of("", "q", BasicProperties.EMPTY, Unpooled.wrappedBuffer(body), memory);
  }

  @Test
  void aQueueStaysOnTheHeapUntilTheSharedAllowanceIsUsedThenPagesInOrder() {
    long allowance = 100L * (BODY + 200);
    H2Store store =
        H2Store.open(dir, memory, new H2Store.PagingLimits(OWN_BOUND, 1L << 20, allowance));
    try {
      QueueStorage q = store.queueDeclared("/", "q", false, false, Map.of());
      for (int i = 0; i < 50; i++) {
        q.add(QueueEntry.restored(i, message(i), false));
      }
      assertEquals(50L * BODY, q.bytes(), "50 messages, well inside the allowance, on the heap");
      for (int i = 50; i < 400; i++) {
        q.add(QueueEntry.restored(i, message(i), false));
      }
      assertEquals(400, q.size());
      assertTrue(q.bytes() < 200L * BODY, "past the allowance the tail is paged: " + q.bytes());
      assertTrue(memory.bytes() <= allowance + 2L * (BODY + 200), "memory " + memory.bytes());
      List<Integer> order = new ArrayList<>();
      QueueEntry e;
      while ((e = q.poll()) != null) {
        order.add((int) e.sequence());
        assertEquals((byte) e.sequence(), e.message().body().getByte(0));
        e.message().release();
      }
      assertEquals(400, order.size());
      for (int i = 0; i < order.size(); i++) {
        assertEquals(i, order.get(i));
      }
      q.destroy();
    } finally {
      store.close();
    }
  }
}
