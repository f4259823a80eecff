package io.warrenmq.broker.store.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.RecoveryVisitor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2StoreTest {

  @TempDir Path dir;
  private final MemoryAccount memory = new MemoryAccount();

  private H2Store open() {
    return H2Store.open(dir, memory, new H2Store.PagingLimits(1000, 8 * 1024 * 1024));
  }

  private Message persistent(String body) {
    return Message.of(
        "",
        "q",
        BasicProperties.EMPTY.withDeliveryMode(2),
        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8),
        memory);
  }

  private static void sync(H2Store store) throws Exception {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    store.whenSynced(done::complete);
    assertNull(done.get(10, TimeUnit.SECONDS));
  }

  /** Lets go of what a storage holds on the heap, as a stopping broker does, keeping the store. */
  private static void releaseHeld(QueueStorage q) {
    QueueEntry e;
    while ((e = q.poll()) != null) {
      e.message().release();
    }
  }

  /** Collects the queues a store recovers. */
  private static Map<String, QueueStorage> recover(H2Store store) {
    Map<String, QueueStorage> queues = new LinkedHashMap<>();
    store.recover(
        new RecoveryVisitor() {
          @Override
          public void vhost(String name) {}

          @Override
          public void user(
              String name, String password, List<String> tags, boolean loopback, Set<String> v) {}

          @Override
          public void exchange(
              String vhost,
              String name,
              String type,
              boolean autoDelete,
              boolean internal,
              Map<String, Object> arguments) {}

          @Override
          public void queue(
              String vhost,
              String name,
              boolean autoDelete,
              Map<String, Object> arguments,
              QueueStorage storage) {
            queues.put(name, storage);
          }

          @Override
          public void binding(
              String vhost,
              String source,
              String destination,
              boolean toQueue,
              String routingKey,
              Map<String, Object> arguments) {}
        });
    return queues;
  }

  @Test
  void theFileStaysBoundedWhileMessagesComeAndGo() throws Exception {
    H2Store store = open();
    try {
      QueueStorage q = store.queueDeclared("/", "q", true, false, Map.of());
      String body = "x".repeat(4096);
      long seq = 0;
      long largest = 0;
      // 30 rounds of 2 000 messages of 4 KB: 240 MB pass through the store.
      for (int round = 0; round < 30; round++) {
        for (int i = 0; i < 2000; i++) {
          q.add(QueueEntry.restored(seq++, persistent(body), false));
        }
        sync(store);
        QueueEntry e;
        while ((e = q.poll()) != null) {
          q.settle(e);
          e.message().release();
        }
        sync(store);
        largest = Math.max(largest, store.fileSize());
      }
      assertTrue(largest < 64L * 1024 * 1024, "the store grew to " + largest + " octets");
    } finally {
      store.close();
    }
  }

  @Test
  void aPagedOutMessageTakenByAFilteringConsumerStaysStoredUntilAcknowledged() throws Exception {
    H2Store store = H2Store.open(dir, memory, new H2Store.PagingLimits(4, 8 * 1024 * 1024));
    QueueStorage q = store.queueDeclared("/", "q", true, false, Map.of());
    for (int i = 0; i < 20; i++) {
      q.add(QueueEntry.restored(i, persistent("m" + i), false));
    }
    QueueEntry kept = q.takeFirst(0, e -> e.sequence() == 15);
    QueueEntry acked = q.takeFirst(0, e -> e.sequence() == 16);
    q.settle(acked);
    acked.message().release();
    kept.message().release(); // the broker stops with it unacknowledged
    releaseHeld(q);
    sync(store);
    store.close();

    H2Store reopened = open();
    try {
      QueueStorage recovered = recover(reopened).get("q");
      List<Long> sequences = new ArrayList<>();
      QueueEntry e;
      while ((e = recovered.poll()) != null) {
        sequences.add(e.sequence());
        recovered.settle(e);
        e.message().release();
      }
      List<Long> expected = new ArrayList<>();
      for (long i = 0; i < 20; i++) {
        if (i != 16) {
          expected.add(i);
        }
      }
      assertEquals(expected, sequences);
      recovered.destroy();
    } finally {
      reopened.close();
    }
  }

  @Test
  void aMessageSharedByTwoQueuesOutlivesItsFirstAcknowledgementAcrossReopens() throws Exception {
    H2Store store = open();
    Message m = persistent("shared");
    QueueStorage a = store.queueDeclared("/", "a", true, false, Map.of());
    QueueStorage b = store.queueDeclared("/", "b", true, false, Map.of());
    m.retain();
    a.add(QueueEntry.restored(0, m, false));
    b.add(QueueEntry.restored(0, m, false));
    QueueEntry fromA = a.poll();
    a.settle(fromA);
    fromA.message().release();
    releaseHeld(a);
    releaseHeld(b);
    store.close();

    H2Store reopened = open();
    try {
      Map<String, QueueStorage> queues = recover(reopened);
      assertEquals(0, queues.get("a").size());
      assertEquals(1, queues.get("b").size());
      QueueEntry e = queues.get("b").poll();
      assertEquals("shared", e.message().body().toString(StandardCharsets.UTF_8));
      queues.get("b").settle(e);
      e.message().release();
      queues.values().forEach(QueueStorage::destroy);
    } finally {
      reopened.close();
    }
  }

  @Test
  void transientMessagesAndNonDurableQueuesDoNotSurviveAReopen() throws Exception {
    H2Store store = open();
    QueueStorage durable = store.queueDeclared("/", "d", true, false, Map.of());
    QueueStorage paging = store.queueDeclared("/", "t", false, false, Map.of());
    Message transientMessage =
        Message.of(
            "",
            "d",
            BasicProperties.EMPTY,
            Unpooled.copiedBuffer("t", StandardCharsets.UTF_8),
            memory);
    durable.add(QueueEntry.restored(0, transientMessage, false));
    durable.add(QueueEntry.restored(1, persistent("p"), false));
    for (int i = 0; i < 1500; i++) { // past the paging bound: written to the store
      paging.add(QueueEntry.restored(i, persistent("page" + i), false));
    }
    sync(store);
    releaseHeld(durable);
    releaseHeld(paging);
    store.close();

    H2Store reopened = open();
    try {
      Map<String, QueueStorage> queues = recover(reopened);
      assertEquals(Set.of("d"), queues.keySet());
      QueueEntry e = queues.get("d").poll();
      assertEquals("p", e.message().body().toString(StandardCharsets.UTF_8));
      assertNull(queues.get("d").poll());
      queues.get("d").settle(e);
      e.message().release();
      queues.values().forEach(QueueStorage::destroy);
    } finally {
      reopened.close();
    }
  }

  /**
   * A commit takes one map after another, so a crash can leave a queue entry whose message record
   * did not make it (a publish in flight, never confirmed) or was already removed (an
   * acknowledgement in flight). Recovery drops such an entry instead of failing when a consumer
   * reaches it.
   */
  @Test
  void aQueueEntryWhoseMessageRecordIsMissingIsDroppedAtRecovery() throws Exception {
    H2Store store = open();
    QueueStorage q = store.queueDeclared("/", "q", true, false, Map.of());
    long missingId = 0;
    for (int i = 0; i < 3; i++) {
      Message m = persistent("m" + i);
      q.add(QueueEntry.restored(i, m, false));
      if (i == 1) {
        missingId = m.storeId();
      }
    }
    sync(store);
    releaseHeld(q);
    store.close();
    try (MVStore raw =
        new MVStore.Builder().fileName(dir.resolve(H2Store.FILE_NAME).toString()).open()) {
      MVMap<Long, byte[]> messages = raw.openMap("messages");
      assertTrue(messages.remove(missingId) != null, "the message was stored");
      raw.commit();
    }

    H2Store reopened = open();
    try {
      QueueStorage recovered = recover(reopened).get("q");
      assertEquals(2, recovered.size());
      for (String expected : List.of("m0", "m2")) {
        QueueEntry e = recovered.poll();
        assertEquals(expected, e.message().body().toString(StandardCharsets.UTF_8));
        recovered.settle(e);
        e.message().release();
      }
      assertNull(recovered.poll());
      recovered.destroy();
    } finally {
      reopened.close();
    }
  }

  @Test
  void aPriorityQueueComesBackInPriorityOrderWithOnlyItsDeliveredEntriesRedelivered()
      throws Exception {
    H2Store store = H2Store.open(dir, memory, new H2Store.PagingLimits(4, 8 * 1024 * 1024));
    QueueStorage q = store.queueDeclared("/", "pq", true, false, Map.of("x-max-priority", 5));
    for (int i = 0; i < 12; i++) {
      q.add(QueueEntry.restored(QueueEntry.position(i % 3 * 2, i), persistent("m" + i), false));
    }
    // Out with consumers at the stop: the first of priority 4, and the first of priority 0.
    QueueEntry high = q.poll();
    q.delivered(high);
    QueueEntry low = q.takeFirst(Long.MIN_VALUE, e -> e.priority() == 0);
    q.delivered(low);
    sync(store);
    high.message().release();
    low.message().release();
    releaseHeld(q);
    store.close();

    H2Store reopened = open();
    try {
      QueueStorage recovered = recover(reopened).get("pq");
      assertEquals(12, recovered.size());
      assertEquals(12, recovered.nextSequence());
      List<String> order = new ArrayList<>();
      List<String> redelivered = new ArrayList<>();
      QueueEntry e;
      while ((e = recovered.poll()) != null) {
        String body = e.message().body().toString(StandardCharsets.UTF_8);
        order.add(body);
        if (e.redelivered()) {
          redelivered.add(body);
        }
        recovered.settle(e);
        e.message().release();
      }
      assertEquals(
          List.of("m2", "m5", "m8", "m11", "m1", "m4", "m7", "m10", "m0", "m3", "m6", "m9"), order);
      assertEquals(List.of("m2", "m0"), redelivered);
      recovered.destroy();
    } finally {
      reopened.close();
    }
  }
}
