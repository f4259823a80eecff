package io.warrenmq.broker.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.ReplyCode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * What RabbitMQ checks of a message when it is published, for every publisher (an AMQP channel, an
 * in-VM session), with RabbitMQ's codes and texts. RabbitMQ's order ({@code rabbit_channel}'s
 * basic.publish) is: the exchange exists and is not internal; the properties decode ({@link
 * #decodable}); direct reply-to and the validated user id (the publisher's own checks); then {@link
 * #accepted}: the expiration, and the message itself (CC and BCC headers, delivery mode).
 *
 * <p>None of this decodes the properties of a message that carries no CC or BCC header: the checks
 * read the encoded octets in place (see {@link EncodedProperties}).
 */
public final class PublishChecks {

  private PublishChecks() {}

  /**
   * Refuses properties RabbitMQ could not decode — a field table whose length overruns the frame, a
   * field type it does not know, a short string longer than what is left, octets after the last
   * property — as RabbitMQ does: its channel crashes, and the connection closes with 541 {@code
   * INTERNAL_ERROR}, naming no method. Nothing is enqueued.
   */
  public static void decodable(Message message) throws AmqpException {
    if (!message.received()) {
      return; // built in the JVM from values that encode (see encodable)
    }
    int routingHeaders = EncodedProperties.scan(message.encodedProperties());
    if (routingHeaders == EncodedProperties.MALFORMED) {
      throw AmqpException.crashed(
          ReplyCode.INTERNAL_ERROR,
          "a published message's content header properties do not decode (malformed field table"
              + " or short string)");
    }
    message.routingHeaders(routingHeaders);
  }

  /**
   * The checks after the publisher's own, with RabbitMQ's 406 texts: an {@code expiration} that is
   * not a whole number from 0 to ten years of milliseconds; a {@code CC} or {@code BCC} header that
   * is not an array; a delivery mode other than 1 or 2.
   *
   * @return the message to route: {@code message} itself, or — when it has a {@code BCC} header,
   *     which no receiver may see — a copy without it (and {@code message} released)
   */
  public static Message accepted(Message message) throws AmqpException {
    if (message.received()) {
      checkEncoded(message);
    } else {
      BasicProperties p = message.properties();
      if (p.expiration() != null && Expiration.millis(p.expiration()) < 0) {
        throw refusedExpiration(p.expiration());
      }
      SenderSelected.check(message);
      checkDeliveryMode(p.deliveryMode());
    }
    return SenderSelected.apply(message);
  }

  /** The same checks on the octets the message arrived with, decoding nothing. */
  private static void checkEncoded(Message message) throws AmqpException {
    ByteBuf e = message.encodedProperties();
    int at = EncodedProperties.offset(e, EncodedProperties.EXPIRATION);
    if (at >= 0 && Expiration.millis(e, at + 1, e.getUnsignedByte(at)) < 0) {
      throw refusedExpiration(message.properties().expiration());
    }
    SenderSelected.check(message);
    at = EncodedProperties.offset(e, EncodedProperties.DELIVERY_MODE);
    if (at >= 0) {
      checkDeliveryMode((int) e.getUnsignedByte(at));
    }
  }

  private static AmqpException refusedExpiration(String expiration) {
    return AmqpException.of(ReplyCode.PRECONDITION_FAILED, "%s", Expiration.refusal(expiration));
  }

  private static void checkDeliveryMode(Integer mode) throws AmqpException {
    if (mode != null && mode != 1 && mode != 2) {
      throw invalidMessage("{delivery_mode_unknown," + mode + "}");
    }
  }

  private static AmqpException invalidMessage(String reason) {
    return AmqpException.of(ReplyCode.PRECONDITION_FAILED, "invalid message: %s", reason);
  }

  /**
   * Refuses properties built in the JVM that no field table or short string could carry, as the
   * RabbitMQ Java client refuses them before sending: a short string or header name longer than 255
   * octets of UTF-8, a delivery mode or priority outside an octet, a decimal whose scale is not an
   * octet or whose unscaled value is not a 32-bit integer, a header value of a type field tables do
   * not have, a table whose names are not strings.
   *
   * @return {@code p}
   * @throws IllegalArgumentException saying what cannot be encoded
   */
  public static BasicProperties encodable(BasicProperties p) {
    shortString("content_type", p.contentType());
    shortString("content_encoding", p.contentEncoding());
    shortString("correlation_id", p.correlationId());
    shortString("reply_to", p.replyTo());
    shortString("expiration", p.expiration());
    shortString("message_id", p.messageId());
    shortString("type", p.type());
    shortString("user_id", p.userId());
    shortString("app_id", p.appId());
    shortString("cluster_id", p.clusterId());
    octet("delivery_mode", p.deliveryMode());
    octet("priority", p.priority());
    if (p.headers() != null) {
      table(p.headers());
    }
    return p;
  }

  private static void shortString(String name, CharSequence value) {
    if (value != null && value.length() > 85 && ByteBufUtil.utf8Bytes(value) > 255) {
      throw new IllegalArgumentException(
          name + " is longer than 255 octets of UTF-8: " + ByteBufUtil.utf8Bytes(value));
    }
  }

  private static void octet(String name, Integer value) {
    if (value != null && (value < 0 || value > 255)) {
      throw new IllegalArgumentException(name + " " + value + " is not an octet (0 to 255)");
    }
  }

  private static void table(Map<?, ?> table) {
    for (Map.Entry<?, ?> e : table.entrySet()) {
      if (!(e.getKey() instanceof String name)) {
        throw new IllegalArgumentException("field table name " + e.getKey() + " is not a string");
      }
      shortString("field table name", name);
      value(e.getValue());
    }
  }

  private static void value(Object v) {
    if (v instanceof Map<?, ?> nested) {
      table(nested);
    } else if (v instanceof List<?> array) {
      array.forEach(PublishChecks::value);
    } else if (v instanceof BigDecimal d) {
      if (d.scale() < 0 || d.scale() > 255 || d.unscaledValue().bitLength() > 31) {
        throw new IllegalArgumentException("decimal " + d + " does not fit a field table");
      }
    } else if (io.warrenmq.broker.protocol.FieldTable.typeName(v) == null) {
      throw new IllegalArgumentException(
          "invalid field table value type " + v.getClass().getName());
    }
  }
}
