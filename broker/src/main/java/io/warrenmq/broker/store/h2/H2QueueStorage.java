package io.warrenmq.broker.store.h2;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.OrderedHead;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * A queue's ready messages: the head on the heap, the tail in the store once the head reaches its
 * bound, and — for a durable queue — every persistent message written through until it is
 * acknowledged.
 *
 * <p>Order is kept by sequence number: while anything is paged out, new messages go to the store
 * too, and the head is refilled from the store in order. Entries that come back (requeue) are older
 * than anything paged out and rejoin the head. The queue's map holds, for a durable queue, the
 * persistent messages in the head, the unacknowledged ones and the paged-out tail; the tail is
 * every key from {@code pagedFrom} on, less those a filtering consumer took out of order.
 *
 * <p>A priority queue has one such storage per priority ({@link
 * io.warrenmq.broker.store.PriorityLevels}), all in the queue's one map: an entry's key is its
 * place, and the places of one priority make one range of keys ({@link QueueEntry#position}), so
 * each level pages, counts and scans only its own range. Level 0 is the whole of a queue without
 * priorities, and keeps the map's keys as they always were.
 */
final class H2QueueStorage implements QueueStorage {

  private static final int PAGE_IN_BATCH = 1024;

  /** {@code pagedFrom} when nothing is paged out: below every key. */
  private static final long NONE = Long.MIN_VALUE;

  private final H2Store store;
  private final QueueMap queueMap;
  private final long queueId;
  private final boolean durable;

  /** Every message is written through, transient ones too: a quorum queue keeps them all. */
  private final boolean keepsAll;

  /** The priority this storage holds; its keys are {@code [low, high]}. */
  private final int level;

  private final long low;
  private final long high;
  private final long nextSequence;
  private final long recoveredDeliveredUpTo;
  private final ArrayDeque<QueueEntry> head = new ArrayDeque<>();
  private long headBytes;
  private int pagedCount;
  private long pagedFrom = NONE;
  private long deliveredUpTo = -1;

  /**
   * Tail keys of persistent entries that a filtering consumer took out of order: their records stay
   * until settled, and page-in, purge and the next filtering scan pass them over.
   */
  private final Set<Long> takenFromTail = new HashSet<>();

  H2QueueStorage(
      H2Store store,
      QueueMap queueMap,
      long queueId,
      boolean durable,
      boolean keepsAll,
      int level,
      long nextSequence,
      long recoveredDeliveredUpTo) {
    this.store = store;
    this.queueMap = queueMap;
    this.queueId = queueId;
    this.durable = durable;
    this.keepsAll = durable && keepsAll;
    this.level = level;
    this.low = QueueEntry.position(level, 0);
    this.high = QueueEntry.position(level, Long.MAX_VALUE >> 8);
    this.nextSequence = nextSequence;
    // The delivery mark is level 0's; other levels flag each delivered entry's record.
    this.recoveredDeliveredUpTo = level == 0 ? recoveredDeliveredUpTo : -1;
    this.deliveredUpTo = this.recoveredDeliveredUpTo;
    if (durable) {
      MVMap<Long, byte[]> map = map();
      pagedCount = count(map, low, high);
      Long first = map.ceilingKey(low);
      pagedFrom = first == null || first > high ? NONE : first;
    }
  }

  /** The number of keys in {@code [low, high]}, in O(log n). */
  static int count(MVMap<Long, byte[]> map, long low, long high) {
    return (int) (keyIndex(map, high + 1) - keyIndex(map, low));
  }

  /**
   * The last arrival number a queue's map holds, or -1: its last key, unless it holds priorities,
   * whose levels each end with their own last arrival.
   */
  static long lastArrival(MVMap<Long, byte[]> map) {
    Long first = map.firstKey();
    if (first == null) {
      return -1;
    }
    long last = Math.max(-1, map.lastKey());
    for (int p = QueueEntry.priority(first); p > 0; p--) {
      Long key = map.floorKey(QueueEntry.position(p, Long.MAX_VALUE >> 8));
      if (key != null && QueueEntry.priority(key) == p) {
        last = Math.max(last, QueueEntry.arrival(key));
      }
    }
    return last;
  }

  /** Whether a queue's map holds entries of {@code priority}. */
  static boolean holds(MVMap<Long, byte[]> map, int priority) {
    Long key = map.ceilingKey(QueueEntry.position(priority, 0));
    return key != null && QueueEntry.priority(key) == priority;
  }

  /** How many keys are below {@code key}. */
  private static long keyIndex(MVMap<Long, byte[]> map, long key) {
    long i = map.getKeyIndex(key);
    return i < 0 ? -(i + 1) : i;
  }

  /** The head gained (or, negative, lost) messages and octets; the queue's totals follow. */
  private void held(int messages, long bytes) {
    headBytes += bytes;
    queueMap.heldMessages += messages;
    queueMap.heldBytes += bytes;
  }

  /** This level's keys from {@code from} on. */
  private Cursor<Long, byte[]> cursor(long from) {
    return map().cursor(Math.max(from, low), high, false);
  }

  /**
   * The map of a queue's entries, shared by its priority levels and opened at first use (a
   * non-durable queue that never pages needs none).
   */
  static final class QueueMap {
    final String name;
    MVMap<Long, byte[]> map;

    /** What all the queue's levels hold on the heap: the paging bound is the queue's. */
    int heldMessages;

    long heldBytes;

    QueueMap(String name) {
      this.name = name;
    }
  }

  private MVMap<Long, byte[]> map() {
    if (queueMap.map == null) {
      queueMap.map = store.openQueueMap(queueMap.name);
    }
    return queueMap.map;
  }

  private boolean writesThrough(QueueEntry e) {
    return durable && (keepsAll || e.message().persistent());
  }

  @Override
  public void add(QueueEntry entry) {
    H2Store.PagingLimits limits = store.paging();
    Message m = entry.message();
    if (pagedCount == 0
        && ((queueMap.heldMessages < limits.messages()
                && queueMap.heldBytes + m.bodySize() <= limits.bytes())
            || store.belowSharedPagingLimit())) {
      if (writesThrough(entry)) {
        map().put(entry.sequence(), Records.reference(store.persist(m), false));
      }
      head.addLast(entry);
      held(1, m.bodySize());
      return;
    }
    if (pagedCount == 0) {
      pagedFrom = entry.sequence();
    }
    map()
        .put(
            entry.sequence(),
            writesThrough(entry)
                ? Records.reference(store.persist(m), entry.redelivered())
                : Records.inline(m, entry.redelivered()));
    pagedCount++;
    m.release();
  }

  @Override
  public QueueEntry peek() {
    if (head.isEmpty() && pagedCount > 0) {
      pageIn();
    }
    return head.peekFirst();
  }

  @Override
  public QueueEntry poll() {
    if (head.isEmpty() && pagedCount > 0) {
      pageIn();
    }
    QueueEntry e = head.pollFirst();
    if (e != null) {
      held(-1, -e.message().bodySize());
    }
    return e;
  }

  /** Moves the next batch of the tail into the head, in order. */
  private void pageIn() {
    Cursor<Long, byte[]> it = cursor(pagedFrom);
    List<Long> inlineLoaded = new ArrayList<>();
    int loaded = 0;
    while (loaded < PAGE_IN_BATCH && it.hasNext()) {
      long seq = it.next();
      if (taken(seq)) {
        continue;
      }
      byte[] value = it.getValue();
      QueueEntry e = restore(seq, value);
      if (!Records.isReference(value)) {
        inlineLoaded.add(seq);
      }
      head.addLast(e);
      held(1, e.message().bodySize());
      loaded++;
    }
    pagedCount -= loaded;
    pagedFrom = pagedCount > 0 ? nextTailKey(it) : NONE;
    // Transient messages back on the heap need no copy in the store.
    inlineLoaded.forEach(map()::remove);
  }

  private QueueEntry restore(long seq, byte[] value) {
    boolean redelivered =
        Records.redelivered(value) || (level == 0 && seq <= recoveredDeliveredUpTo);
    Message m =
        Records.isReference(value)
            ? store.loadMessage(Records.referencedId(value))
            : store.inlineMessage(value);
    int count = Records.deliveryCount(value);
    if (keepsAll && redelivered && count == 0) {
      // Out with a consumer when the broker stopped: that consumer is gone, which a quorum queue
      // counts as a return.
      count = 1;
    }
    return QueueEntry.restored(seq, m, redelivered, count);
  }

  /** Whether a tail key belongs to an entry a filtering consumer took out of order. */
  private boolean taken(long seq) {
    return !takenFromTail.isEmpty() && takenFromTail.contains(seq);
  }

  private long nextTailKey(Cursor<Long, byte[]> it) {
    while (it.hasNext()) {
      long seq = it.next();
      if (!taken(seq)) {
        return seq;
      }
    }
    return NONE;
  }

  /**
   * The head first, then the tail read entry by entry from the store: a filtering consumer finds a
   * match anywhere in the queue without the queue being paged in. A persistent entry taken from the
   * tail keeps its record until it is settled, and is remembered so that page-in passes it over.
   */
  @Override
  public QueueEntry takeFirst(long from, Predicate<QueueEntry> filter) {
    QueueEntry found = OrderedHead.takeFirst(head, from, filter);
    if (found != null) {
      held(-1, -found.message().bodySize());
      return found;
    }
    if (pagedCount == 0) {
      return null;
    }
    Cursor<Long, byte[]> it = cursor(Math.max(from, pagedFrom));
    while (it.hasNext()) {
      long seq = it.next();
      if (taken(seq)) {
        continue;
      }
      byte[] value = it.getValue();
      QueueEntry candidate = restore(seq, value);
      if (!filter.test(candidate)) {
        candidate.message().release();
        continue;
      }
      if (Records.isReference(value)) {
        takenFromTail.add(seq);
      } else {
        map().remove(seq);
      }
      pagedCount--;
      if (seq == pagedFrom) {
        pagedFrom = pagedCount > 0 ? nextTailKey(cursor(seq)) : NONE;
      }
      return candidate;
    }
    return null;
  }

  /**
   * Entries older than the paged-out tail rejoin the head; one a filtering consumer took from the
   * tail goes back to the tail, its message off the heap again.
   */
  @Override
  public void requeue(List<QueueEntry> entries) {
    List<QueueEntry> toHead = entries;
    if (pagedCount > 0 || !takenFromTail.isEmpty()) {
      toHead = new ArrayList<>(entries.size());
      for (QueueEntry e : entries) {
        boolean wasTaken = takenFromTail.remove(e.sequence());
        if (pagedCount > 0 && e.sequence() > pagedFrom) {
          backToTail(e, wasTaken);
        } else {
          toHead.add(e);
        }
      }
    }
    for (QueueEntry e : toHead) {
      held(1, e.message().bodySize());
      if (keepsAll && e.deliveryCount() > 0) {
        // A quorum queue's delivery count survives a restart, as in RabbitMQ's log.
        map()
            .replace(
                e.sequence(), Records.reference(e.message().storeId(), true, e.deliveryCount()));
      }
    }
    OrderedHead.requeue(head, toHead);
  }

  private void backToTail(QueueEntry e, boolean recordKept) {
    Message m = e.message();
    if (!recordKept) {
      map().put(e.sequence(), Records.inline(m, e.redelivered()));
    } else if (e.redelivered()) {
      map().put(e.sequence(), Records.reference(m.storeId(), true, e.deliveryCount()));
    }
    pagedCount++;
    m.release();
  }

  @Override
  public void delivered(QueueEntry entry) {
    long id = entry.message().storeId();
    if (!durable || id == 0) {
      return;
    }
    if (level > 0) {
      // The mark cannot serve priorities, which are delivered out of arrival order.
      map().replace(entry.sequence(), Records.reference(id, true, entry.deliveryCount()));
    } else if (entry.sequence() > deliveredUpTo) {
      deliveredUpTo = entry.sequence();
      store.recordDelivered(queueId, deliveredUpTo);
    }
  }

  @Override
  public void settle(QueueEntry entry) {
    long id = entry.message().storeId();
    if (!takenFromTail.isEmpty()) {
      takenFromTail.remove(entry.sequence());
    }
    if (durable && id != 0 && map().remove(entry.sequence()) != null) {
      store.unref(id);
    }
  }

  @Override
  public int purge() {
    int n = size();
    for (QueueEntry e : head) {
      settle(e);
      e.message().release();
    }
    held(-head.size(), -headBytes);
    head.clear();
    if (pagedCount > 0) {
      Cursor<Long, byte[]> it = cursor(pagedFrom);
      List<Long> keys = new ArrayList<>();
      while (it.hasNext()) {
        long seq = it.next();
        if (taken(seq)) {
          continue;
        }
        keys.add(seq);
        if (Records.isReference(it.getValue())) {
          store.unref(Records.referencedId(it.getValue()));
        }
      }
      keys.forEach(map()::remove);
      pagedCount = 0;
      pagedFrom = NONE;
    }
    return n;
  }

  @Override
  public int size() {
    return head.size() + pagedCount;
  }

  @Override
  public long bytes() {
    return headBytes;
  }

  @Override
  public long nextSequence() {
    return nextSequence;
  }

  @Override
  public void close() {
    for (QueueEntry e : head) {
      e.message().release();
    }
    held(-head.size(), -headBytes);
    head.clear();
  }

  @Override
  public void destroy() {
    for (QueueEntry e : head) {
      e.message().release();
    }
    held(-head.size(), -headBytes);
    head.clear();
    pagedCount = 0;
    takenFromTail.clear();
    if (queueMap.map != null && level == 0) {
      // Level 0 drops the map of every level (PriorityLevels destroys it last).
      store.dropQueueMap(queueMap.map, durable);
      queueMap.map = null;
    }
  }
}
