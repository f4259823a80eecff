package io.warrenmq.broker.session;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueConsumer;
import io.warrenmq.broker.queue.QueueEntry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An AMQP consumer (basic.consume) as its queue sees it. Credit is the consumer's own prefetch and
 * its channel's shared one; both are atomic because the queue's dispatching thread takes credit
 * while the channel's event loop gives it back on acks.
 */
final class ChannelConsumer implements QueueConsumer {

  private final AmqpChannel channel;
  private final String tag;
  private final Queue queue;
  private final boolean noAck;
  private final int prefetch;
  private final int priority;
  private final Predicate<Message> filter;
  private final AtomicInteger unacked = new AtomicInteger();
  private volatile boolean starved;
  private volatile boolean cancelled;

  ChannelConsumer(
      AmqpChannel channel,
      String tag,
      Queue queue,
      boolean noAck,
      int prefetch,
      int priority,
      Predicate<Message> filter) {
    this.channel = channel;
    this.tag = tag;
    this.queue = queue;
    this.noAck = noAck;
    this.prefetch = prefetch;
    this.priority = priority;
    this.filter = filter;
  }

  @Override
  public Predicate<Message> filter() {
    return filter;
  }

  @Override
  public String tag() {
    return tag;
  }

  @Override
  public int priority() {
    return priority;
  }

  @Override
  public boolean noAck() {
    return noAck;
  }

  Queue queue() {
    return queue;
  }

  @Override
  public boolean reserve() {
    if (cancelled) {
      return false;
    }
    // Starved is raised before the credit is looked at: whoever gives credit back afterwards (an
    // ack, a drained outbox, a writable socket) then sees it and dispatches again. Raised only on
    // failure, a wake-up could fall between the look and the flag and be lost, and a queue with a
    // backlog — which dispatches only when woken — would stall for good.
    starved = true;
    if (!noAck && prefetch > 0) {
      int n;
      do {
        n = unacked.get();
        if (n >= prefetch) {
          return false;
        }
      } while (!unacked.compareAndSet(n, n + 1));
    } else if (!noAck) {
      unacked.incrementAndGet();
    }
    if (!channel.reserve(this)) {
      if (!noAck) {
        unacked.decrementAndGet();
      }
      return false;
    }
    starved = false;
    return true;
  }

  @Override
  public boolean mayReserve() {
    if (cancelled) {
      return false;
    }
    // Raised as in reserve(): a consumer seen without credit is woken when credit comes back.
    starved = true;
    return (noAck || prefetch <= 0 || unacked.get() < prefetch) && channel.mayReserve(this);
  }

  @Override
  public void deliver(Queue q, QueueEntry entry) {
    channel.enqueueDelivery(this, entry);
  }

  @Override
  public void cancelledByQueue(Queue q) {
    cancelled = true;
    channel.consumerCancelledByQueue(this);
  }

  /** One of this consumer's deliveries was settled or returned: credit comes back. */
  void settled() {
    if (!noAck) {
      unacked.decrementAndGet();
    }
  }

  /** Asks the queue to dispatch again if this consumer was refused credit. */
  void wakeIfStarved() {
    if (starved && !cancelled) {
      starved = false;
      queue.dispatch();
    }
  }

  void cancel() {
    cancelled = true;
  }

  boolean cancelled() {
    return cancelled;
  }
}
