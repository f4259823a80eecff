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
 * queue, whichever transport carries it.
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
}
