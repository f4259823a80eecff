package io.warrenmq.broker.vhost;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.BackpressureListener;
import io.warrenmq.broker.queue.Queue;

/**
 * Who publishes through {@link VirtualHost#publish}: told what routing found and what pushes back.
 */
public interface Publisher extends BackpressureListener {

  /** Nobody to tell: dead letters and other publishes from inside the broker. */
  Publisher NONE = queue -> {};

  /**
   * The message reached {@code queues} queues and is about to be enqueued: the last moment to watch
   * its settlement (early confirms).
   */
  default void routed(Message message, int queues) {}

  /** {@code queue}'s backlog is over its bound; {@link #backlogDrained} follows when it shrinks. */
  default void backlogged(Queue queue) {}
}
