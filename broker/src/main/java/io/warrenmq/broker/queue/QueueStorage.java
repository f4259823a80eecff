package io.warrenmq.broker.queue;

import java.util.List;
import java.util.function.Predicate;

/**
 * Where a queue keeps its ready messages, in sequence order. The queue calls it only while holding
 * its own lock, so implementations need no locking of their own. The queue package owns this seam
 * and the {@code store} package implements it, so the dependency runs one way: store on queue.
 *
 * <p>Ownership: the storage holds one reference to each ready entry's message. {@link #poll} hands
 * that reference to the caller; {@link #add} and {@link #requeue} take one; {@link #purge} releases
 * what it drops.
 *
 * <p>The in-memory implementation keeps everything on the heap; the H2 one writes persistent
 * messages of durable queues through to disk and pages any queue's tail out beyond a bound. Both
 * pass {@code QueueStorageContract}.
 */
public interface QueueStorage {

  /** Adds a new message at its place: the tail, or its priority's tail. */
  void add(QueueEntry entry);

  /** Removes and returns the head, or null when empty. */
  QueueEntry poll();

  /** Returns the head without removing it, or null when empty. */
  QueueEntry peek();

  /**
   * Removes and returns the first ready entry from sequence {@code from} on that {@code filter}
   * accepts, or null: what a filtering consumer takes, wherever it is in the queue. The entry is
   * then out with its consumer, as a polled one is, until it is settled or requeued.
   */
  QueueEntry takeFirst(long from, Predicate<QueueEntry> filter);

  /** Puts entries that were delivered back at the places their sequence numbers give them. */
  void requeue(List<QueueEntry> entries);

  /** The entry was handed to a consumer (for the redelivered flag after a restart). */
  void delivered(QueueEntry entry);

  /** A message delivered from this queue was acknowledged (or dropped) and is gone for good. */
  void settle(QueueEntry entry);

  /** Drops every ready message, releasing them; returns how many. */
  int purge();

  /** The number of ready messages. */
  int size();

  /** The body octets of the ready messages held in memory (paged-out ones do not count). */
  long bytes();

  /** The sequence number the queue continues from: 0 for a new queue, past the last recovered. */
  long nextSequence();

  /** The queue was deleted: everything it kept goes. */
  void destroy();

  /** The broker is stopping: releases the messages held on the heap; what is stored stays. */
  void close();

  /**
   * For a storage that replicates its queue to other nodes: completes, true, once everything added
   * so far is held by a majority of them (false when that failed). Null for any other storage. Any
   * thread.
   */
  default java.util.concurrent.CompletableFuture<Boolean> replicated() {
    return null;
  }
}
