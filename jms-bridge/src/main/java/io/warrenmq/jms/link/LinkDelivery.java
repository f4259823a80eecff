package io.warrenmq.jms.link;

/**
 * A message delivered by the broker, by consume or get: the delivery tag (unique within the link
 * session), the broker's redelivered flag, where it was published to, and the message.
 */
public record LinkDelivery(
    long deliveryTag,
    boolean redelivered,
    String exchange,
    String routingKey,
    AmqpMessage message) {}
