package io.warrenmq.broker.channel;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueConsumer;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.selector.JmsSelector;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A consumer (basic.consume) as its queue sees it. Credit is the consumer's own prefetch and its
 * channel's shared one; both are atomic because the queue's dispatching thread takes credit while
 * the channel's thread gives it back on acks.
 */
public final class Consumer implements QueueConsumer {

  private final Channel channel;
  private final String tag;
  private final Queue queue;
  private final boolean noAck;
  private final int prefetch;
  private final int priority;
  private final Predicate<Message> filter;
  private final Object attachment;
  private final AtomicInteger unacked = new AtomicInteger();
  private volatile boolean starved;
  private volatile boolean cancelled;

  Consumer(
      Channel channel,
      String tag,
      Queue queue,
      boolean noAck,
      int prefetch,
      int priority,
      Predicate<Message> filter,
      Object attachment) {
    this.channel = channel;
    this.tag = tag;
    this.queue = queue;
    this.noAck = noAck;
    this.prefetch = prefetch;
    this.priority = priority;
    this.filter = filter;
    this.attachment = attachment;
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

  @Override
  public Predicate<Message> filter() {
    return filter;
  }

  public Queue queue() {
    return queue;
  }

  /** What the adapter gave {@link Channel#consume} to find its client-side consumer by. */
  public Object attachment() {
    return attachment;
  }

  public boolean cancelled() {
    return cancelled;
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
    // A no-ack consumer is limited by nothing but its connection (RabbitMQ ignores its prefetch).
    if (!noAck) {
      int n;
      do {
        n = unacked.get();
        if (prefetch > 0 && n >= prefetch) {
          return false;
        }
      } while (!unacked.compareAndSet(n, n + 1));
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

  /** One of this consumer's deliveries was settled or given back: its credit comes back. */
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

  // ------------------------------------------------------------------ basic.consume arguments

  /** The consumer's JMS selector ({@code x-filter-jms-selector}), or null to take everything. */
  static JmsSelector selector(Map<String, Object> arguments) throws AmqpException {
    Object v = arguments.get(JmsSelector.ARGUMENT);
    if (v == null) {
      return null;
    }
    if (!(v instanceof LongString) && !(v instanceof String)) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "invalid arg '%s' for consumer: must be a string",
          JmsSelector.ARGUMENT);
    }
    String text = v.toString();
    if (text.isBlank()) {
      return null;
    }
    try {
      return JmsSelector.parse(text);
    } catch (IllegalArgumentException e) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "%s", e.getMessage());
    }
  }
}
