package io.warrenmq.broker.channel;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.QueueEntry;

/**
 * Where a {@link Channel} sends what goes to its client: the AMQP channel writes frames, the in-VM
 * session calls the JMS provider's handlers. Each method says on which thread it is called.
 */
public interface DeliverySink {

  /**
   * Whether the client takes more deliveries now (AMQP: the socket is writable and channel.flow is
   * on). Any thread, often a queue's while it holds its lock: quick, no locks. When it becomes true
   * again the adapter calls {@link Channel#creditReturned()}.
   */
  boolean writable();

  /**
   * Whether a delivery a queue handed over before its consumer was cancelled still reaches the
   * client (in-VM: the provider counts on it to learn every message it holds) or goes back to the
   * queue (AMQP: the client no longer knows the consumer tag).
   */
  boolean deliversAfterCancel();

  /**
   * One delivery, on the channel's delivery executor, in order. For a consumer that acknowledges
   * the delivery is already recorded as unacknowledged, so the client may settle it at once.
   */
  void deliver(Consumer consumer, long deliveryTag, QueueEntry entry);

  /** The end of a batch of {@link #deliver} calls (AMQP flushes the socket). */
  default void flush() {}

  /** The broker cancelled the consumer (its queue went away); on the delivery executor. */
  void cancelled(Consumer consumer);

  /**
   * A publisher confirm for {@code sequence} (and every earlier one when {@code multiple}); on the
   * channel's confirm executor, in order, followed by {@link #flush()}.
   */
  void confirmed(long sequence, boolean multiple, boolean ack);

  /**
   * A mandatory publish reached no queue (basic.return NO_ROUTE); on the publishing thread, or the
   * committing one in a transaction.
   */
  void returned(Message message);
}
