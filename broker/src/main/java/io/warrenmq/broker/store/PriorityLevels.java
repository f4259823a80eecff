package io.warrenmq.broker.store;

import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * A priority queue's ready messages: one storage per priority, highest first, as RabbitMQ's {@code
 * rabbit_priority_queue} keeps one backing queue per priority. Each level is an ordinary storage of
 * one implementation — appends at its tail, pages its own tail out, requeues into its own order —
 * so a publish costs what it costs without priorities; only reads look for the highest level that
 * holds anything. Levels are made when a message of their priority first arrives (or, after a
 * restart, when the store holds some).
 *
 * <p>An entry's {@link QueueEntry#priority() priority} comes from its place, which the queue has
 * capped to its {@code x-max-priority}.
 */
public final class PriorityLevels implements QueueStorage {

  private final IntFunction<QueueStorage> newLevel;
  private final QueueStorage[] levels = new QueueStorage[256];

  /** The highest priority with a level. */
  private int top;

  /** Ready entries in all levels. */
  private int size;

  /**
   * @param newLevel makes the storage of one priority; level 0 is made at once
   */
  public PriorityLevels(IntFunction<QueueStorage> newLevel) {
    this.newLevel = newLevel;
    levels[0] = newLevel.apply(0);
    size = levels[0].size();
  }

  /** Makes the level of {@code priority} now: a recovered queue's store holds messages there. */
  public void restoreLevel(int priority) {
    size += level(priority).size();
  }

  private QueueStorage level(int priority) {
    QueueStorage l = levels[priority];
    if (l == null) {
      l = newLevel.apply(priority);
      levels[priority] = l;
      top = Math.max(top, priority);
    }
    return l;
  }

  /** The highest level with a ready message, or null. */
  private QueueStorage first() {
    for (int p = top; p >= 0; p--) {
      QueueStorage l = levels[p];
      if (l != null && l.size() > 0) {
        return l;
      }
    }
    return null;
  }

  @Override
  public void add(QueueEntry entry) {
    level(entry.priority()).add(entry);
    size++;
  }

  @Override
  public QueueEntry poll() {
    QueueStorage l = first();
    if (l == null) {
      return null;
    }
    size--;
    return l.poll();
  }

  @Override
  public QueueEntry peek() {
    QueueStorage l = first();
    return l == null ? null : l.peek();
  }

  /**
   * Places order priorities: every place of a higher level is before {@code from}'s level, every
   * place of a lower one after it, so the search starts at {@code from}'s level.
   */
  @Override
  public QueueEntry takeFirst(long from, Predicate<QueueEntry> filter) {
    for (int p = Math.min(top, QueueEntry.priority(from)); p >= 0; p--) {
      QueueStorage l = levels[p];
      if (l != null && l.size() > 0) {
        QueueEntry e = l.takeFirst(from, filter);
        if (e != null) {
          size--;
          return e;
        }
      }
    }
    return null;
  }

  @Override
  public void requeue(List<QueueEntry> entries) {
    size += entries.size();
    int priority = entries.isEmpty() ? 0 : entries.get(0).priority();
    boolean oneLevel = true;
    for (QueueEntry e : entries) {
      oneLevel &= e.priority() == priority;
    }
    if (oneLevel) {
      level(priority).requeue(entries);
      return;
    }
    List<List<QueueEntry>> byLevel = new ArrayList<>();
    for (int p = 0; p <= top; p++) {
      byLevel.add(null);
    }
    for (QueueEntry e : entries) {
      int p = e.priority();
      if (byLevel.get(p) == null) {
        byLevel.set(p, new ArrayList<>());
      }
      byLevel.get(p).add(e);
    }
    for (int p = 0; p < byLevel.size(); p++) {
      if (byLevel.get(p) != null) {
        level(p).requeue(byLevel.get(p));
      }
    }
  }

  @Override
  public void delivered(QueueEntry entry) {
    level(entry.priority()).delivered(entry);
  }

  @Override
  public void settle(QueueEntry entry) {
    level(entry.priority()).settle(entry);
  }

  @Override
  public int purge() {
    int n = 0;
    for (int p = 0; p <= top; p++) {
      if (levels[p] != null) {
        n += levels[p].purge();
      }
    }
    size = 0;
    return n;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public long bytes() {
    long n = 0;
    for (int p = 0; p <= top; p++) {
      if (levels[p] != null) {
        n += levels[p].bytes();
      }
    }
    return n;
  }

  /** Past every level's last arrival. */
  @Override
  public long nextSequence() {
    long next = 0;
    for (int p = 0; p <= top; p++) {
      if (levels[p] != null) {
        next = Math.max(next, levels[p].nextSequence());
      }
    }
    return next;
  }

  @Override
  public void destroy() {
    for (int p = top; p >= 0; p--) {
      if (levels[p] != null) {
        levels[p].destroy();
      }
    }
    size = 0;
  }

  @Override
  public void close() {
    for (int p = 0; p <= top; p++) {
      if (levels[p] != null) {
        levels[p].close();
      }
    }
  }
}
