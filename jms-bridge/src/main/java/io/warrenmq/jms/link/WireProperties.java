package io.warrenmq.jms.link;

import io.warrenmq.broker.message.PublishChecks;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.LongString;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link AmqpMessage}'s properties as they go on the wire, in the broker's terms: what the in-VM
 * link publishes, and what both links check before publishing, so that a property no short string
 * or field table can carry is refused at send time, before it takes a confirm number or reaches a
 * queue, whichever transport carries it. And back ({@link #message}): what the broker delivers in
 * the JVM, as the RabbitMQ Java client would hand it over on the network link — timestamps in whole
 * seconds (AMQP's), long strings as Strings.
 */
public final class WireProperties {
  private WireProperties() {}

  /**
   * The broker's properties for {@code m}.
   *
   * @throws IllegalArgumentException for a value no field table or short string can carry
   */
  public static BasicProperties of(AmqpMessage m) {
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
  private static Map<String, Object> wireHeaders(Map<String, Object> headers) {
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

  /** The message the broker's {@code p} and {@code body} make, as the network link sees it. */
  public static AmqpMessage message(BasicProperties p, byte[] body) {
    return new AmqpMessage(
        p.contentType(),
        p.contentEncoding(),
        plainHeaders(p.headers()),
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
        body);
  }

  /**
   * Header values as plain Java, whichever link decoded them: long strings (the broker's or the
   * RabbitMQ client's) as Strings, timestamps as Dates in whole seconds.
   */
  public static Map<String, Object> plainHeaders(Map<String, Object> headers) {
    if (headers == null) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    headers.forEach((k, v) -> out.put(k, plainValue(v)));
    return out;
  }

  private static Object plainValue(Object v) {
    if (v instanceof LongString
        || v instanceof CharSequence
        || v instanceof com.rabbitmq.client.LongString) {
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
