package io.warrenmq.broker.store.h2;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.store.QueueStorage;
import io.warrenmq.broker.store.Requeue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
 * every key from {@code pagedFrom} on.
 */
final class H2QueueStorage implements QueueStorage {

  private static final int PAGE_IN_BATCH = 1024;

  private final H2Store store;
  private final String mapName;
  private final long queueId;
  private final boolean durable;
  private final long nextSequence;
  private final long recoveredDeliveredUpTo;
  private MVMap<Long, byte[]> map;
  private final ArrayDeque<QueueEntry> head = new ArrayDeque<>();
  private long headBytes;
  private int pagedCount;
  private long pagedFrom = -1;
  private long deliveredUpTo = -1;

  H2QueueStorage(
      H2Store store,
      String mapName,
      long queueId,
      boolean durable,
      long nextSequence,
      long recoveredDeliveredUpTo) {
    this.store = store;
    this.mapName = mapName;
    this.queueId = queueId;
    this.durable = durable;
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
    return durable && e.message().persistent();
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
    while (it.hasNext() && loaded < PAGE_IN_BATCH) {
      long seq = it.next();
      byte[] value = it.getValue();
      boolean redelivered = Records.redelivered(value) || seq <= recoveredDeliveredUpTo;
      Message m;
      if (Records.isReference(value)) {
        m = store.loadMessage(Records.referencedId(value));
      } else {
        m = store.inlineMessage(value);
        inlineLoaded.add(seq);
      }
      head.addLast(QueueEntry.restored(seq, m, redelivered));
      headBytes += m.bodySize();
      loaded++;
    }
    pagedCount -= loaded;
    pagedFrom = pagedCount > 0 && it.hasNext() ? it.next() : -1;
    // Transient messages back on the heap need no copy in the store.
    inlineLoaded.forEach(map::remove);
  }

  @Override
  public void requeue(List<QueueEntry> entries) {
    for (QueueEntry e : entries) {
      headBytes += e.message().bodySize();
    }
    Requeue.into(head, entries);
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
        keys.add(it.next());
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
    if (map != null) {
      store.dropQueueMap(map, durable);
      map = null;
    }
  }
}
