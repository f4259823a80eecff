package io.warrenmq.broker.channel;

import io.netty.util.internal.PlatformDependent;
import io.warrenmq.broker.queue.QueueEntry;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deliveries on their way from queues to a channel's delivery executor: a multi-producer queue that
 * queues fill under their own locks, drained by one task at a time. Bounded: a delivery's room is
 * taken with its credit, and a channel whose outbox is full takes no more.
 */
final class Outbox {

  /** Deliveries handed over but not yet drained; beyond this a channel takes no more credit. */
  private static final int LIMIT = 1024;

  record Pending(Consumer consumer, QueueEntry entry) {}

  private final java.util.Queue<Pending> pending = PlatformDependent.newMpscQueue();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Executor executor;
  private final Runnable drain;

  /** {@code drain} runs on {@code executor} and must begin with {@link #draining()}. */
  Outbox(Executor executor, Runnable drain) {
    this.executor = executor;
    this.drain = drain;
  }

  boolean hasRoom() {
    return size.get() < LIMIT;
  }

  /** Takes room for one delivery; any thread. */
  void reserve() {
    size.incrementAndGet();
  }

  /** Adds a delivery whose room was reserved, and makes sure a drain follows; any thread. */
  void offer(Consumer consumer, QueueEntry entry) {
    pending.offer(new Pending(consumer, entry));
    schedule();
  }

  void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      executor.execute(drain);
    }
  }

  /** A drain starts: what is offered from now on schedules another. */
  void draining() {
    scheduled.set(false);
  }

  /** The next delivery, its room given back; null when empty. Drain task only. */
  Pending poll() {
    Pending p = pending.poll();
    if (p != null) {
      size.decrementAndGet();
    }
    return p;
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }
}
