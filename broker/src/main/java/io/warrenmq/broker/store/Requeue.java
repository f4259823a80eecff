package io.warrenmq.broker.store;

import io.warrenmq.broker.queue.QueueEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Puts entries that come back into a queue's in-memory head at the places their sequence numbers
 * give them. They are usually older than the whole head (they were delivered first), which costs
 * O(k); otherwise the two ordered runs are merged in O(n + k).
 */
public final class Requeue {

  private Requeue() {}

  /** Merges {@code entries} into {@code head}, which is in sequence order and stays so. */
  public static void into(ArrayDeque<QueueEntry> head, List<QueueEntry> entries) {
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
}
