package io.warrenmq.jms.link;

import java.util.Date;
import java.util.Map;

/**
 * An AMQP 0-9-1 message as the link carries it: the basic properties (any may be null) and the
 * body. The body array is owned by the message once handed over; nobody copies it.
 */
public record AmqpMessage(
    String contentType,
    String contentEncoding,
    Map<String, Object> headers,
    Integer deliveryMode,
    Integer priority,
    String correlationId,
    String replyTo,
    String expiration,
    String messageId,
    Date timestamp,
    String type,
    String userId,
    String appId,
    byte[] body) {}
