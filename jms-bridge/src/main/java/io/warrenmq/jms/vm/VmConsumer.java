package io.warrenmq.jms.vm;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueConsumer;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.jms.link.LinkSession.DeliveryHandler;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An in-VM consumer as its queue sees it. Credit is the consumer's prefetch, taken atomically on
 * the queue's dispatching thread and given back when a delivery is settled or returned; a consumer
 * refused credit remembers it was starved and asks the queue to dispatch again once credit comes
 * back, as the broker's own channel consumers do.
 */
final class VmConsumer implements QueueConsumer {

  private final VmLinkSession session;
  private final String tag;
  private final Queue queue;
  private final int prefetch;
  private final Predicate<Message> filter;
  private final DeliveryHandler handler;
  private final AtomicInteger unacked = new AtomicInteger();
  private volatile boolean starved;
  private volatile boolean cancelled;

  VmConsumer(
      VmLinkSession session,
      String tag,
      Queue queue,
      int prefetch,
      Predicate<Message> filter,
      DeliveryHandler handler) {
    this.session = session;
    this.tag = tag;
    this.queue = queue;
    this.prefetch = prefetch;
    this.filter = filter;
    this.handler = handler;
  }

  @Override
  public String tag() {
    return tag;
  }

  @Override
  public int priority() {
    return 0;
  }

  @Override
  public boolean noAck() {
    return false;
  }

  @Override
  public boolean reserve() {
    if (cancelled || !session.isOpen()) {
      return false;
    }
    if (prefetch <= 0) {
      unacked.incrementAndGet();
      return true;
    }
    while (true) {
      int n = unacked.get();
      if (n >= prefetch) {
        // Marked before the second look, so that a settle racing with this either sees the mark
        // (and wakes the queue) or has already freed the credit seen here.
        starved = true;
        if (unacked.get() >= prefetch) {
          return false;
        }
      } else if (unacked.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  @Override
  public Predicate<Message> filter() {
    return filter;
  }

  @Override
  public boolean mayReserve() {
    if (cancelled || !session.isOpen()) {
      return false;
    }
    // Marked as in reserve(): a consumer seen without credit is woken when credit comes back.
    starved = true;
    return prefetch <= 0 || unacked.get() < prefetch;
  }

  /** Under the queue's lock: only hands the entry to the session's executor. */
  @Override
  public void deliver(Queue q, QueueEntry entry) {
    session.executor().execute(() -> session.handOver(this, entry));
  }

  @Override
  public void cancelledByQueue(Queue q) {
    cancelled = true;
    session.consumerCancelledByQueue(this);
  }

  /** One of this consumer's deliveries was settled or returned: its credit comes back. */
  void settled() {
    unacked.decrementAndGet();
  }

  /** Asks the queue to dispatch again if this consumer was refused credit. Not under a lock. */
  void wakeIfStarved() {
    if (starved && !cancelled) {
      starved = false;
      queue.dispatch();
    }
  }

  void cancel() {
    cancelled = true;
  }

  Queue queue() {
    return queue;
  }

  DeliveryHandler handler() {
    return handler;
  }
}
