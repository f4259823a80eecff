package io.warrenmq.broker.channel;

import io.warrenmq.broker.queue.BackpressureListener;
import io.warrenmq.broker.queue.Queue;

/**
 * The connection a channel belongs to, as the channel sees it: who published (RabbitMQ's validated
 * user-id), who owns exclusive queues, and how publishers are slowed down.
 */
public interface Owner extends BackpressureListener, io.warrenmq.broker.vhost.QueueOwner {

  /** The authenticated user's name. */
  String user();

  /** The exclusive queues this connection owns, deleted when it closes. */
  ExclusiveQueues exclusiveQueues();

  /** A message was published; during a resource alarm this may block the connection. */
  default void published() {}

  /**
   * A queue's backlog is over its bound: stop taking publishes until {@link #backlogDrained}.
   * Called on the publishing thread.
   */
  default void backlogged(Queue queue) {}
}
