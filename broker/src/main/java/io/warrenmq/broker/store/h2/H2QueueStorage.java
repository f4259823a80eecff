package io.warrenmq.broker.store.h2;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.store.OrderedHead;
import io.warrenmq.broker.store.QueueStorage;
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
 */
final class H2QueueStorage implements QueueStorage {

  private static final int PAGE_IN_BATCH = 1024;

  private final H2Store store;
  private final String mapName;
  private final long queueId;
  private final boolean durable;

  /** Every message is written through, transient ones too: a quorum queue keeps them all. */
  private final boolean keepsAll;

  private final long nextSequence;
  private final long recoveredDeliveredUpTo;
  private MVMap<Long, byte[]> map;
  private final ArrayDeque<QueueEntry> head = new ArrayDeque<>();
  private long headBytes;
  private int pagedCount;
  private long pagedFrom = -1;
  private long deliveredUpTo = -1;

  /**
   * Tail keys of persistent entries that a filtering consumer took out of order: their records stay
   * until settled, and page-in, purge and the next filtering scan pass them over.
   */
  private final Set<Long> takenFromTail = new HashSet<>();

  H2QueueStorage(
      H2Store store,
      String mapName,
      long queueId,
      boolean durable,
      boolean keepsAll,
      long nextSequence,
      long recoveredDeliveredUpTo) {
    this.store = store;
    this.mapName = mapName;
    this.queueId = queueId;
    this.durable = durable;
    this.keepsAll = durable && keepsAll;
    this.nextSequence = nextSequence;
    this.recoveredDeliveredUpTo = recoveredDeliveredUpTo;
    this.deliveredUpTo = recoveredDeliveredUpTo;
    if (durable) {
      map = store.openQueueMap(mapName);
      pagedCount = map.size();
      Long first = map.firstKey();
      pagedFrom = first == null ? -1 : first;
    }
  }

  private MVMap<Long, byte[]> map() {
    if (map == null) {
      map = store.openQueueMap(mapName);
    }
    return map;
  }

  private boolean writesThrough(QueueEntry e) {
    return durable && (keepsAll || e.message().persistent());
  }

  @Override
  public void add(QueueEntry entry) {
    H2Store.PagingLimits limits = store.paging();
    Message m = entry.message();
    if (pagedCount == 0
        && ((head.size() < limits.messages() && headBytes + m.bodySize() <= limits.bytes())
            || store.belowSharedPagingLimit())) {
      if (writesThrough(entry)) {
        map().put(entry.sequence(), Records.reference(store.persist(m), false));
      }
      head.addLast(entry);
      headBytes += m.bodySize();
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
      headBytes -= e.message().bodySize();
    }
    return e;
  }

  /** Moves the next batch of the tail into the head, in order. */
  private void pageIn() {
    Cursor<Long, byte[]> it = map().cursor(pagedFrom);
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
      headBytes += e.message().bodySize();
      loaded++;
    }
    pagedCount -= loaded;
    pagedFrom = pagedCount > 0 ? nextTailKey(it) : -1;
    // Transient messages back on the heap need no copy in the store.
    inlineLoaded.forEach(map::remove);
  }

  private QueueEntry restore(long seq, byte[] value) {
    boolean redelivered = Records.redelivered(value) || seq <= recoveredDeliveredUpTo;
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
    return -1;
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
      headBytes -= found.message().bodySize();
      return found;
    }
    if (pagedCount == 0) {
      return null;
    }
    Cursor<Long, byte[]> it = map().cursor(Math.max(from, pagedFrom));
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
        map.remove(seq);
      }
      pagedCount--;
      if (seq == pagedFrom) {
        pagedFrom = pagedCount > 0 ? nextTailKey(map.cursor(seq)) : -1;
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
      headBytes += e.message().bodySize();
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
    if (durable && entry.sequence() > deliveredUpTo && entry.message().storeId() != 0) {
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
    head.clear();
    headBytes = 0;
    if (pagedCount > 0) {
      Cursor<Long, byte[]> it = map().cursor(pagedFrom);
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
      keys.forEach(map::remove);
      pagedCount = 0;
      pagedFrom = -1;
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
    head.clear();
    headBytes = 0;
  }

  @Override
  public void destroy() {
    for (QueueEntry e : head) {
      e.message().release();
    }
    head.clear();
    headBytes = 0;
    pagedCount = 0;
    takenFromTail.clear();
    if (map != null) {
      store.dropQueueMap(map, durable);
      map = null;
    }
  }
}
