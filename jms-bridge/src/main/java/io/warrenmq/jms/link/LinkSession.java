package io.warrenmq.jms.link;

import java.util.Map;

/**
 * One AMQP channel's worth of operations. Methods are called by one thread at a time, except {@link
 * #ack}, {@link #nack} and {@link #publish}, which callbacks may also call. A broker error that
 * closes the channel makes every later call fail with a {@link LinkException}.
 */
public interface LinkSession extends AutoCloseable {

  /** Receives deliveries of one consumer, on a thread of the link's, in order. */
  interface DeliveryHandler {
    void handle(LinkDelivery delivery);

    /** The broker cancelled the consumer (its queue was deleted). */
    default void cancelled() {}
  }

  /** Hears publisher confirms: {@code seqNo} and everything before it if {@code multiple}. */
  interface ConfirmHandler {
    void confirmed(long seqNo, boolean multiple, boolean ack);
  }

  /**
   * queue.declare. An empty {@code name} asks the broker for a server-named queue. Returns the
   * queue's name.
   */
  String declareQueue(
      String name,
      boolean durable,
      boolean exclusive,
      boolean autoDelete,
      Map<String, Object> arguments)
      throws LinkException;

  /** queue.declare passive: whether the queue exists. Leaves the session usable either way. */
  boolean queueExists(String name) throws LinkException;

  /** exchange.declare passive: whether the exchange exists. Leaves the session usable. */
  boolean exchangeExists(String name) throws LinkException;

  void bindQueue(String queue, String exchange, String routingKey) throws LinkException;

  void unbindQueue(String queue, String exchange, String routingKey) throws LinkException;

  void deleteQueue(String queue) throws LinkException;

  /** basic.publish; when confirms are on, returns the message's confirm sequence number. */
  long publish(String exchange, String routingKey, AmqpMessage message) throws LinkException;

  /**
   * basic.consume with manual acknowledgement and a prefetch of its own. Returns the consumer tag.
   *
   * @param selector a JMS selector the broker filters the queue by (only when {@link
   *     BrokerLink#filtersConsumers()}), or null for every message
   */
  String consume(
      String queue, int prefetch, boolean exclusive, String selector, DeliveryHandler handler)
      throws LinkException;

  /**
   * basic.cancel. Returns once the handler has been given every delivery the broker sent before the
   * cancel, so that afterwards the caller knows every message the consumer holds.
   */
  void cancel(String consumerTag) throws LinkException;

  /** basic.get with manual acknowledgement; null when the queue is empty. */
  LinkDelivery get(String queue) throws LinkException;

  void ack(long deliveryTag, boolean multiple) throws LinkException;

  void nack(long deliveryTag, boolean multiple, boolean requeue) throws LinkException;

  void txSelect() throws LinkException;

  void txCommit() throws LinkException;

  void txRollback() throws LinkException;

  /** confirm.select, with the handler that hears the confirms. */
  void confirmSelect(ConfirmHandler handler) throws LinkException;

  boolean isOpen();

  @Override
  void close();
}
