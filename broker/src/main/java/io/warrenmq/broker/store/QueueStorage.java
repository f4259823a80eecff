package io.warrenmq.broker.store;

import io.warrenmq.broker.queue.QueueEntry;
import java.util.List;

/**
 * Where a queue keeps its ready messages, in sequence order. The queue calls it only while holding
 * its own lock, so implementations need no locking of their own.
 *
 * <p>The in-memory implementation keeps everything on the heap; a durable one writes persistent
 * messages through and pages the rest out beyond a bound. Both pass {@code QueueStorageContract}.
 */
public interface QueueStorage {

  /** Adds a new message at the tail. */
  void add(QueueEntry entry);

  /** Removes and returns the head, or null when empty. */
  QueueEntry poll();

  /** Puts entries that were delivered back at the places their sequence numbers give them. */
  void requeue(List<QueueEntry> entries);

  /** A message delivered from this queue was acknowledged (or dropped) and is gone for good. */
  void settle(QueueEntry entry);

  /** Removes and returns every ready message. */
  List<QueueEntry> drain();

  /** The number of ready messages. */
  int size();

  /** The body octets of the ready messages. */
  long bytes();
}
