package io.warrenmq.jms.vm;

import io.netty.buffer.ByteBuf;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.message.PublishChecks;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts between the link's {@link AmqpMessage} and the broker's properties, so that a message
 * looks the same whichever transport carried it: timestamps are whole seconds (AMQP's), header
 * values are what the RabbitMQ Java client would hand over.
 *
 * <p><b>Bodies.</b> Publishing wraps the caller's array, never copies it. On delivery the JMS
 * message needs a {@code byte[]}: when the broker's buffer is a heap buffer whose array is exactly
 * the body (always the case for a message an in-VM client published) that array is handed over as
 * it is — shared by every receiver of the message, which never write into a received body;
 * otherwise (a body read from a socket, in a pooled or composite buffer) it is copied once.
 */
final class VmMessages {
  private VmMessages() {}

  /**
   * The broker's properties for {@code m}.
   *
   * @throws IllegalArgumentException for a value no field table or short string can carry
   */
  static BasicProperties properties(AmqpMessage m) {
    return PublishChecks.encodable(
        new BasicProperties(
            m.contentType(),
            m.contentEncoding(),
            wireHeaders(m.headers()),
            m.deliveryMode(),
            m.priority(),
            m.correlationId(),
            m.replyTo(),
            m.expiration(),
            m.messageId(),
            m.timestamp() == null ? null : m.timestamp().getTime() / 1000,
            m.type(),
            m.userId(),
            m.appId(),
            null));
  }

  /**
   * The headers as the broker keeps them: every value must be one a field table can carry (a
   * network consumer may receive the message); {@link Date}s, which the Java client sends as
   * timestamps, become {@link Instant}s. The map is rebuilt only when it holds a Date.
   *
   * @throws IllegalArgumentException for a value no field table can carry
   */
  static Map<String, Object> wireHeaders(Map<String, Object> headers) {
    if (headers == null || !needsConversion(headers.values())) {
      return headers;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> converted = (Map<String, Object>) wireValue(headers);
    return converted;
  }

  private static boolean needsConversion(Iterable<?> values) {
    for (Object v : values) {
      if (v instanceof Date) {
        return true;
      }
      if (v instanceof List<?> list && needsConversion(list)) {
        return true;
      }
      if (v instanceof Map<?, ?> map && needsConversion(map.values())) {
        return true;
      }
      if (!(v == null
          || v instanceof Boolean
          || v instanceof Byte
          || v instanceof Short
          || v instanceof Integer
          || v instanceof Long
          || v instanceof Float
          || v instanceof Double
          || v instanceof BigDecimal
          || v instanceof CharSequence
          || v instanceof LongString
          || v instanceof byte[]
          || v instanceof Instant
          || v instanceof List<?>
          || v instanceof Map<?, ?>)) {
        throw new IllegalArgumentException("invalid header value type " + v.getClass().getName());
      }
    }
    return false;
  }

  private static Object wireValue(Object v) {
    if (v instanceof Date d) {
      return Instant.ofEpochSecond(d.getTime() / 1000);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(e -> out.add(wireValue(e)));
      return out;
    }
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, e) -> out.put(String.valueOf(k), wireValue(e)));
      return out;
    }
    return v;
  }

  static LinkDelivery delivery(long tag, QueueEntry entry) {
    Message msg = entry.message();
    BasicProperties p = msg.properties();
    return new LinkDelivery(
        tag,
        entry.redelivered(),
        msg.exchange(),
        msg.routingKey(),
        new AmqpMessage(
            p.contentType(),
            p.contentEncoding(),
            plain(p.headers()),
            p.deliveryMode(),
            p.priority(),
            p.correlationId(),
            p.replyTo(),
            p.expiration(),
            p.messageId(),
            p.timestamp() == null ? null : new Date(p.timestamp() * 1000),
            p.type(),
            p.userId(),
            p.appId(),
            body(msg.body())));
  }

  /** The body as an array: the buffer's own when it is exactly the body, else one copy. */
  static byte[] body(ByteBuf body) {
    int length = body.readableBytes();
    if (body.hasArray()
        && body.arrayOffset() + body.readerIndex() == 0
        && body.array().length == length) {
      return body.array();
    }
    byte[] copy = new byte[length];
    body.getBytes(body.readerIndex(), copy);
    return copy;
  }

  /** Header values as the Java client gives them: long strings as Strings, timestamps as Dates. */
  private static Map<String, Object> plain(Map<String, Object> headers) {
    if (headers == null) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    headers.forEach((k, v) -> out.put(k, plainValue(v)));
    return out;
  }

  private static Object plainValue(Object v) {
    if (v instanceof LongString || v instanceof CharSequence) {
      return v.toString();
    }
    if (v instanceof Instant t) {
      return new Date(t.getEpochSecond() * 1000);
    }
    if (v instanceof Date d) {
      return new Date(d.getTime() / 1000 * 1000);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(e -> out.add(plainValue(e)));
      return out;
    }
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, e) -> out.put(String.valueOf(k), plainValue(e)));
      return out;
    }
    return v;
  }
}
