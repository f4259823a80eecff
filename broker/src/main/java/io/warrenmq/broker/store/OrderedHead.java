package io.warrenmq.broker.store;

import io.warrenmq.broker.queue.QueueEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * Operations on a queue's in-memory head, a deque of entries in sequence order, that the storage
 * implementations share.
 */
public final class OrderedHead {

  private OrderedHead() {}

  /**
   * Merges entries that come back into {@code head} at the places their sequence numbers give them.
   * They are usually older than the whole head (they were delivered first), which costs O(k);
   * otherwise the two ordered runs are merged in O(n + k).
   */
  public static void requeue(ArrayDeque<QueueEntry> head, List<QueueEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    List<QueueEntry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(QueueEntry::sequence));
    QueueEntry first = head.peekFirst();
    if (first == null || sorted.get(sorted.size() - 1).sequence() < first.sequence()) {
      for (int i = sorted.size() - 1; i >= 0; i--) {
        head.addFirst(sorted.get(i));
      }
      return;
    }
    List<QueueEntry> merged = new ArrayList<>(head.size() + sorted.size());
    int i = 0;
    for (QueueEntry e : head) {
      while (i < sorted.size() && sorted.get(i).sequence() < e.sequence()) {
        merged.add(sorted.get(i++));
      }
      merged.add(e);
    }
    while (i < sorted.size()) {
      merged.add(sorted.get(i++));
    }
    head.clear();
    head.addAll(merged);
  }

  /**
   * Removes and returns the first entry from sequence {@code from} on that {@code filter} accepts,
   * or null. Entries before {@code from} are passed over unexamined; the walk to {@code from}
   * starts from whichever end of the head is nearer, so a filtering consumer that has already
   * looked at most of the head pays only for what is new.
   */
  public static QueueEntry takeFirst(
      ArrayDeque<QueueEntry> head, long from, Predicate<QueueEntry> filter) {
    QueueEntry first = head.peekFirst();
    QueueEntry last = head.peekLast();
    if (first == null || last.sequence() < from) {
      return null;
    }
    if (from - first.sequence() <= last.sequence() - from) {
      Iterator<QueueEntry> it = head.iterator();
      while (it.hasNext()) {
        QueueEntry e = it.next();
        if (e.sequence() >= from && filter.test(e)) {
          it.remove();
          return e;
        }
      }
      return null;
    }
    List<QueueEntry> newest = new ArrayList<>();
    for (Iterator<QueueEntry> it = head.descendingIterator(); it.hasNext(); ) {
      QueueEntry e = it.next();
      if (e.sequence() < from) {
        break;
      }
      newest.add(e);
    }
    for (int i = newest.size() - 1; i >= 0; i--) {
      QueueEntry e = newest.get(i);
      if (filter.test(e)) {
        head.removeLastOccurrence(e);
        return e;
      }
    }
    return null;
  }
}
