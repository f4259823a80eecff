package io.warrenmq.broker.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link QueueStorage} does, whatever keeps the messages: order, requeue to the original
 * place, counts, and exactly one release per message. Implementations subclass this with a small
 * paging bound, so that the same tests cross it.
 */
public abstract class QueueStorageContract {

  /** Messages a subclass's storage keeps on the heap before paging out, if it pages. */
  protected static final int PAGE_BOUND = 64;

  protected final MemoryAccount memory = new MemoryAccount();
  protected QueueStorage storage;
  private final List<Message> created = new ArrayList<>();

  /** A new, empty storage for a durable queue. */
  protected abstract QueueStorage newStorage() throws Exception;

  /** A new, empty storage for a durable queue with {@code x-max-priority} 10. */
  protected abstract QueueStorage newPriorityStorage() throws Exception;

  @BeforeEach
  void open() throws Exception {
    storage = newStorage();
  }

  /** Closes what {@link #newStorage} opened, after the storage is destroyed. */
  protected void closeStorage() {}

  @AfterEach
  void everyMessageIsReleasedExactlyOnce() {
    storage.destroy();
    closeStorage();
    for (Message m : created) {
      assertEquals(0, m.refCnt(), "a message was not released");
    }
  }

  protected Message message(String body, boolean persistent) {
    BasicProperties props = BasicProperties.EMPTY.withDeliveryMode(persistent ? 2 : 1);
    Message m =
        Message.of("x", "key", props, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), memory);
    created.add(m);
    return m;
  }

  /** Adds a message the way a queue does: the storage takes over the publisher's reference. */
  private void add(long seq, String body, boolean persistent) {
    storage.add(QueueEntry.restored(seq, message(body, persistent), false));
  }

  /** Adds the {@code arrival}-th message at {@code priority}, placed as a priority queue does. */
  private void add(long arrival, int priority, String body, boolean persistent) {
    storage.add(
        QueueEntry.restored(
            QueueEntry.position(priority, arrival), message(body, persistent), false));
  }

  private static String body(QueueEntry e) {
    return e.message().body().toString(StandardCharsets.UTF_8);
  }

  private List<String> pollAll() {
    List<String> bodies = new ArrayList<>();
    QueueEntry e;
    while ((e = storage.poll()) != null) {
      bodies.add(body(e));
      storage.settle(e);
      e.message().release();
    }
    return bodies;
  }

  private static List<String> range(int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add("m" + i);
    }
    return out;
  }

  @Test
  void messagesComeOutInTheOrderTheyWentIn() {
    for (int i = 0; i < 10; i++) {
      add(i, "m" + i, i % 2 == 0);
    }
    assertEquals(10, storage.size());
    assertEquals(range(0, 10), pollAll());
    assertEquals(0, storage.size());
    assertNull(storage.poll());
  }

  @Test
  void peekShowsTheHeadWithoutTakingItAcrossThePagingBound() {
    int n = PAGE_BOUND * 3;
    for (int i = 0; i < n; i++) {
      add(i, "m" + i, i % 2 == 0);
    }
    for (int i = 0; i < n; i++) {
      QueueEntry head = storage.peek();
      assertEquals("m" + i, body(head));
      assertEquals(n - i, storage.size());
      QueueEntry taken = storage.poll();
      assertEquals(head.sequence(), taken.sequence());
      storage.settle(taken);
      taken.message().release();
    }
    assertNull(storage.peek());
  }

  @Test
  void orderHoldsAcrossThePagingBound() {
    int n = PAGE_BOUND * 5 + 7;
    for (int i = 0; i < n; i++) {
      add(i, "m" + i, i % 3 != 0);
    }
    assertEquals(n, storage.size());
    List<String> firstHalf = new ArrayList<>();
    for (int i = 0; i < n / 2; i++) {
      QueueEntry e = storage.poll();
      firstHalf.add(body(e));
      storage.settle(e);
      e.message().release();
      add(n + i, "m" + (n + i), true); // keep adding while draining
    }
    assertEquals(range(0, n / 2), firstHalf);
    assertEquals(range(n / 2, n + n / 2), pollAll());
  }

  @Test
  void requeuedEntriesGoBackToTheirPlacesMarkedRedelivered() {
    for (int i = 0; i < 6; i++) {
      add(i, "m" + i, true);
    }
    QueueEntry a = storage.poll();
    QueueEntry b = storage.poll();
    // A queue marks what comes back redelivered before it hands it to the storage.
    QueueEntry polled = storage.poll();
    QueueEntry c = QueueEntry.restored(polled.sequence(), polled.message(), true);
    storage.requeue(List.of(c, a)); // out of order on purpose
    assertEquals(4 + 1, storage.size());
    storage.settle(b);
    b.message().release();
    List<String> order = new ArrayList<>();
    List<Boolean> redelivered = new ArrayList<>();
    QueueEntry e;
    while ((e = storage.poll()) != null) {
      order.add(body(e));
      redelivered.add(e.redelivered());
      storage.settle(e);
      e.message().release();
    }
    assertEquals(List.of("m0", "m2", "m3", "m4", "m5"), order);
    assertTrue(redelivered.get(1));
    assertFalse(redelivered.get(2));
  }

  @Test
  void requeueAfterPagingKeepsOrder() {
    int n = PAGE_BOUND * 3;
    for (int i = 0; i < n; i++) {
      add(i, "m" + i, true);
    }
    List<QueueEntry> taken = new ArrayList<>();
    for (int i = 0; i < PAGE_BOUND + 5; i++) {
      taken.add(storage.poll());
    }
    storage.requeue(taken);
    assertEquals(range(0, n), pollAll());
  }

  @Test
  void purgeDropsEveryReadyMessageAndSaysHowMany() {
    int n = PAGE_BOUND * 2 + 3;
    for (int i = 0; i < n; i++) {
      add(i, "m" + i, i % 2 == 0);
    }
    QueueEntry delivered = storage.poll();
    assertEquals(n - 1, storage.purge());
    assertEquals(0, storage.size());
    assertNull(storage.poll());
    storage.settle(delivered);
    delivered.message().release();
  }

  @Test
  void bytesCountOnlyWhatIsHeldInMemory() {
    for (int i = 0; i < PAGE_BOUND * 4; i++) {
      add(i, "0123456789", true);
    }
    assertTrue(storage.bytes() <= (long) PAGE_BOUND * 4 * 10);
    assertTrue(storage.bytes() >= 10);
    pollAll();
    assertEquals(0, storage.bytes());
  }

  @Test
  void aNewQueueStartsAtSequenceZero() {
    assertEquals(0, storage.nextSequence());
  }

  private static int number(QueueEntry e) {
    return Integer.parseInt(body(e).substring(1));
  }

  @Test
  void takeFirstFindsMatchesAnywhereAndLeavesTheRestInOrder() {
    int n = PAGE_BOUND * 3 + 5;
    for (int i = 0; i < n; i++) {
      add(i, "m" + i, i % 2 == 0);
    }
    List<String> taken = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    long from = Long.MIN_VALUE;
    QueueEntry e;
    while ((e = storage.takeFirst(from, x -> number(x) % 10 == 7)) != null) {
      taken.add(body(e));
      from = e.sequence() + 1;
      storage.settle(e);
      e.message().release();
    }
    for (int i = 0; i < n; i++) {
      if (i % 10 != 7) {
        rest.add("m" + i);
      }
    }
    List<String> expected = new ArrayList<>();
    for (int i = 7; i < n; i += 10) {
      expected.add("m" + i);
    }
    assertEquals(expected, taken);
    assertEquals(n - taken.size(), storage.size());
    assertEquals(rest, pollAll());
  }

  @Test
  void takeFirstLooksOnlyFromTheGivenSequenceOn() {
    for (int i = 0; i < PAGE_BOUND * 2; i++) {
      add(i, "m" + i, true);
    }
    assertNull(storage.takeFirst(PAGE_BOUND * 2, x -> true));
    for (long from : new long[] {3, PAGE_BOUND * 2 - 2, PAGE_BOUND + 1}) {
      QueueEntry e = storage.takeFirst(from, x -> true);
      assertEquals(from, e.sequence());
      storage.settle(e);
      e.message().release();
    }
    assertNull(storage.takeFirst(0, x -> false));
    assertEquals(PAGE_BOUND * 2 - 3, pollAll().size());
  }

  @Test
  void entriesTakenOutOfOrderComeBackToTheirPlaces() {
    int n = PAGE_BOUND * 3;
    for (int i = 0; i < n; i++) {
      add(i, "m" + i, i % 3 != 0);
    }
    List<QueueEntry> back = new ArrayList<>();
    for (int wanted : new int[] {2, PAGE_BOUND + 3, PAGE_BOUND * 2 + 9, PAGE_BOUND * 2 + 10}) {
      QueueEntry e = storage.takeFirst(0, x -> number(x) == wanted);
      back.add(QueueEntry.restored(e.sequence(), e.message(), true));
    }
    assertEquals(n - 4, storage.size());
    storage.requeue(back);
    assertEquals(n, storage.size());
    List<String> order = new ArrayList<>();
    List<Integer> redelivered = new ArrayList<>();
    QueueEntry e;
    while ((e = storage.poll()) != null) {
      order.add(body(e));
      if (e.redelivered()) {
        redelivered.add(number(e));
      }
      storage.settle(e);
      e.message().release();
    }
    assertEquals(range(0, n), order);
    assertEquals(List.of(2, PAGE_BOUND + 3, PAGE_BOUND * 2 + 9, PAGE_BOUND * 2 + 10), redelivered);
  }

  @Test
  void purgeLeavesEntriesTakenOutOfOrderWithTheirConsumer() {
    int n = PAGE_BOUND * 3;
    for (int i = 0; i < n; i++) {
      add(i, "m" + i, true);
    }
    QueueEntry taken = storage.takeFirst(0, x -> number(x) == PAGE_BOUND * 2);
    assertEquals(n - 1, storage.purge());
    assertEquals(0, storage.size());
    storage.settle(taken);
    taken.message().release();
  }

  // ------------------------------------------------------------------ priorities

  /** Uses a priority storage for this test (the plain one is destroyed at once). */
  private void withPriorities() throws Exception {
    storage.destroy();
    storage = newPriorityStorage();
  }

  @Test
  void priorityLevelsGiveTheHighestFirstInArrivalOrderAcrossThePagingBound() throws Exception {
    withPriorities();
    int n = PAGE_BOUND * 4;
    List<List<String>> byPriority = new ArrayList<>();
    for (int p = 0; p <= 10; p++) {
      byPriority.add(new ArrayList<>());
    }
    for (int i = 0; i < n; i++) {
      int priority = (i * 7) % 11;
      add(i, priority, "m" + i, i % 2 == 0);
      byPriority.get(priority).add("m" + i);
    }
    assertEquals(n, storage.size());
    List<String> expected = new ArrayList<>();
    for (int p = 10; p >= 0; p--) {
      expected.addAll(byPriority.get(p));
    }
    assertEquals(expected, pollAll());
    assertEquals(0, storage.size());
  }

  @Test
  void aHigherPriorityArrivingLaterGoesFirst() throws Exception {
    withPriorities();
    for (int i = 0; i < PAGE_BOUND * 2; i++) {
      add(i, 0, "low" + i, true);
    }
    add(PAGE_BOUND * 2, 5, "high", false);
    assertEquals("high", body(storage.peek()));
    QueueEntry high = storage.poll();
    assertEquals(5, high.priority());
    storage.settle(high);
    high.message().release();
    assertEquals("low0", body(storage.peek()));
  }

  @Test
  void requeuedEntriesGoBackToTheirPlacesWithinTheirPriority() throws Exception {
    withPriorities();
    add(0, 1, "a1", true);
    add(1, 3, "b3", true);
    add(2, 3, "c3", false);
    add(3, 1, "d1", true);
    QueueEntry b3 = storage.poll();
    QueueEntry c3 = storage.poll();
    QueueEntry a1 = storage.poll();
    add(4, 3, "e3", true);
    storage.requeue(List.of(a1, c3, b3));
    assertEquals(List.of("b3", "c3", "e3", "a1", "d1"), pollAll());
  }

  @Test
  void takeFirstSearchesEveryPriorityFromTheGivenPlaceOn() throws Exception {
    withPriorities();
    add(0, 0, "x0", true);
    add(1, 9, "y9", true);
    add(2, 4, "x4", false);
    add(3, 9, "x9", true);
    QueueEntry first = storage.takeFirst(Long.MIN_VALUE, e -> body(e).startsWith("x"));
    assertEquals("x9", body(first));
    QueueEntry next = storage.takeFirst(first.sequence() + 1, e -> body(e).startsWith("x"));
    assertEquals("x4", body(next));
    QueueEntry last = storage.takeFirst(next.sequence() + 1, e -> body(e).startsWith("x"));
    assertEquals("x0", body(last));
    assertNull(storage.takeFirst(last.sequence() + 1, e -> true));
    for (QueueEntry e : List.of(first, next, last)) {
      storage.settle(e);
      e.message().release();
    }
    assertEquals(1, storage.size());
    assertEquals(List.of("y9"), pollAll());
  }

  @Test
  void purgeEmptiesEveryPriority() throws Exception {
    withPriorities();
    for (int i = 0; i < PAGE_BOUND * 2; i++) {
      add(i, i % 3, "m" + i, i % 2 == 0);
    }
    assertEquals(PAGE_BOUND * 2, storage.purge());
    assertEquals(0, storage.size());
    assertNull(storage.poll());
    assertEquals(0, storage.nextSequence());
  }
}
