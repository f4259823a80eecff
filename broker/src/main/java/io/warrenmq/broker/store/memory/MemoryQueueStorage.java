package io.warrenmq.broker.store.memory;

import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.OrderedHead;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Predicate;

/**
 * Ready messages on the heap, in an array deque. Appends and polls are O(1); a requeue of entries
 * older than the head (the usual case: they were delivered first) is O(k), otherwise a merge.
 */
public final class MemoryQueueStorage implements QueueStorage {

  private final ArrayDeque<QueueEntry> ready = new ArrayDeque<>();
  private long bytes;

  @Override
  public void add(QueueEntry entry) {
    ready.addLast(entry);
    bytes += entry.message().bodySize();
  }

  @Override
  public QueueEntry peek() {
    return ready.peekFirst();
  }

  @Override
  public QueueEntry poll() {
    QueueEntry entry = ready.pollFirst();
    if (entry != null) {
      bytes -= entry.message().bodySize();
    }
    return entry;
  }

  @Override
  public QueueEntry takeFirst(long from, Predicate<QueueEntry> filter) {
    QueueEntry entry = OrderedHead.takeFirst(ready, from, filter);
    if (entry != null) {
      bytes -= entry.message().bodySize();
    }
    return entry;
  }

  @Override
  public void requeue(List<QueueEntry> entries) {
    for (QueueEntry e : entries) {
      bytes += e.message().bodySize();
    }
    OrderedHead.requeue(ready, entries);
  }

  @Override
  public void delivered(QueueEntry entry) {
    // Nothing outlives the process, so there is no redelivered flag to keep.
  }

  @Override
  public void settle(QueueEntry entry) {
    // Nothing is kept once a message leaves the heap.
  }

  @Override
  public int purge() {
    int n = ready.size();
    for (QueueEntry e : ready) {
      e.message().release();
    }
    ready.clear();
    bytes = 0;
    return n;
  }

  @Override
  public long nextSequence() {
    return 0;
  }

  @Override
  public void destroy() {
    purge();
  }

  @Override
  public void close() {
    purge();
  }

  @Override
  public int size() {
    return ready.size();
  }

  @Override
  public long bytes() {
    return bytes;
  }
}
