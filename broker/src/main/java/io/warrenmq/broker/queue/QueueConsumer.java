package io.warrenmq.broker.queue;

import io.warrenmq.broker.message.Message;
import java.util.function.Predicate;

/**
 * A subscriber to a queue: an AMQP consumer, or an in-VM one. The queue calls these methods while
 * holding its lock, from whichever thread is dispatching, so they must be quick and must not call
 * back into the queue.
 */
public interface QueueConsumer {

  String tag();

  /** Higher goes first (the {@code x-priority} consume argument); 0 by default. */
  int priority();

  /** Whether deliveries are settled as soon as they are sent (basic.consume no-ack). */
  boolean noAck();

  /**
   * Takes credit for one delivery: false when the consumer is at its prefetch limit or its
   * connection cannot take more writes now. The consumer asks the queue to {@link Queue#dispatch()}
   * again when it has credit once more.
   */
  boolean reserve();

  /**
   * The messages this consumer takes, or null for all of them. A consumer with a filter (a JMS
   * selector) is offered every matching message of the queue, wherever it stands; the rest stay for
   * other consumers.
   */
  default Predicate<Message> filter() {
    return null;
  }

  /**
   * Whether {@link #reserve()} would give credit now: a hint, looked at before the queue searches
   * its messages for a filtering consumer. A consumer that answers false must ask for dispatch
   * again once it has credit, as after a refused {@link #reserve()}.
   */
  default boolean mayReserve() {
    return true;
  }

  /** Hands over a message for which {@link #reserve()} gave credit; delivery happens later. */
  void deliver(Queue queue, QueueEntry entry);

  /** The queue was deleted; the consumer is gone from it (consumer cancel notification). */
  void cancelledByQueue(Queue queue);
}
