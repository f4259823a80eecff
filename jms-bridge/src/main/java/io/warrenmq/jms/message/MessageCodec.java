package io.warrenmq.jms.message;

import io.warrenmq.jms.WarrenDestination;
import io.warrenmq.jms.WarrenQueue;
import io.warrenmq.jms.WarrenTopic;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns JMS messages into AMQP messages and back; docs/jms-mapping.md is the table. JMS headers
 * with an AMQP property of their own use it (message_id, correlation_id, reply_to, type, priority,
 * delivery_mode, timestamp, expiration); the rest, and the JMS body type, travel in headers
 * starting with {@code x-jms-}, which no JMS property name can collide with.
 */
public final class MessageCodec {
  private MessageCodec() {}

  public static final String BODY_KIND = "x-jms-type";
  public static final String TIMESTAMP = "x-jms-timestamp";
  public static final String EXPIRATION = "x-jms-expiration";

  /** RabbitMQ's longest per-message TTL: ten years in milliseconds. */
  static final long MAX_TTL_MILLIS = 315_360_000_000L;

  public static final String DELIVERY_TIME = "x-jms-delivery-time";
  public static final String DESTINATION = "x-jms-destination";
  public static final String SENDER = "x-jms-connection";
  private static final String PREFIX = "x-jms-";

  public static final String TEXT_TYPE = "text/plain";
  public static final String BYTES_TYPE = "application/octet-stream";
  public static final String MAP_TYPE = "application/x-jms-map";
  public static final String STREAM_TYPE = "application/x-jms-stream";
  public static final String OBJECT_TYPE = "application/x-java-serialized-object";

  /** The AMQP form of {@code m}, sent to {@code destination} by connection {@code senderId}. */
  public static AmqpMessage toAmqp(WarrenMessage m, WarrenDestination destination, String senderId)
      throws JMSException {
    Map<String, Object> headers = new LinkedHashMap<>();
    m.propertyMap()
        .forEach(
            (k, v) -> {
              if (v != null) {
                headers.put(k, v);
              }
            });
    headers.put(BODY_KIND, m.bodyKind());
    headers.put(TIMESTAMP, m.getJMSTimestamp());
    if (m.getJMSExpiration() != 0) {
      headers.put(EXPIRATION, m.getJMSExpiration());
    }
    if (m.getJMSDeliveryTime() != 0) {
      headers.put(DELIVERY_TIME, m.getJMSDeliveryTime());
    }
    headers.put(DESTINATION, destination.address());
    if (senderId != null) {
      headers.put(SENDER, senderId);
    }
    String expiration = null;
    if (m.getJMSExpiration() != 0) {
      // AMQP's expiration is a TTL: what remains of the JMS lifetime, at least 1 ms, and at most
      // the ten years RabbitMQ accepts (the JMS expiration itself travels in a header).
      long ttl = m.getJMSExpiration() - System.currentTimeMillis();
      expiration = Long.toString(Math.min(Math.max(1, ttl), MAX_TTL_MILLIS));
    }
    Destination replyTo = m.getJMSReplyTo();
    return new AmqpMessage(
        contentType(m),
        null,
        headers,
        m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT ? 2 : 1,
        m.getJMSPriority(),
        m.getJMSCorrelationID(),
        replyTo instanceof WarrenDestination d ? d.address() : null,
        expiration,
        m.getJMSMessageID(),
        m.getJMSTimestamp() == 0 ? null : new Date(m.getJMSTimestamp()),
        m.getJMSType(),
        null,
        null,
        m.encodeBody());
  }

  private static String contentType(WarrenMessage m) {
    return switch (m.bodyKind()) {
      case "text" -> TEXT_TYPE;
      case "bytes" -> BYTES_TYPE;
      case "map" -> MAP_TYPE;
      case "stream" -> STREAM_TYPE;
      case "object" -> OBJECT_TYPE;
      default -> null;
    };
  }

  /**
   * The JMS form of a delivery. A message from a plain AMQP client (no {@code x-jms-type}) is a
   * TextMessage when its content type is textual ({@code text/*}, JSON, XML), else a BytesMessage.
   */
  public static WarrenMessage fromAmqp(LinkDelivery delivery, List<String> trustedPackages)
      throws JMSException {
    AmqpMessage a = delivery.message();
    Map<String, Object> headers = a.headers() == null ? Map.of() : a.headers();
    Object kind = headers.get(BODY_KIND);
    String bodyKind = kind != null ? kind.toString() : inferKind(a.contentType());
    WarrenMessage m = body(bodyKind, a, trustedPackages);
    headers.forEach(
        (k, v) -> {
          if (!k.startsWith(PREFIX)) {
            m.putProperty(k, propertyValue(v));
          }
        });
    m.setJMSMessageID(a.messageId());
    m.setJMSCorrelationID(a.correlationId());
    m.setJMSType(a.type());
    m.setJMSReplyTo(WarrenDestination.fromAddress(a.replyTo()));
    m.setJMSDeliveryMode(
        a.deliveryMode() != null && a.deliveryMode() == 2
            ? DeliveryMode.PERSISTENT
            : DeliveryMode.NON_PERSISTENT);
    m.setJMSPriority(a.priority() == null ? Message.DEFAULT_PRIORITY : a.priority());
    long timestamp =
        headers.get(TIMESTAMP) instanceof Number n
            ? n.longValue()
            : a.timestamp() == null ? 0 : a.timestamp().getTime();
    m.setJMSTimestamp(timestamp);
    if (headers.get(EXPIRATION) instanceof Number n) {
      m.setJMSExpiration(n.longValue());
    } else if (a.expiration() != null) {
      try {
        long base = timestamp != 0 ? timestamp : System.currentTimeMillis();
        m.setJMSExpiration(base + Long.parseLong(a.expiration()));
      } catch (NumberFormatException ignored) {
        // not a TTL in milliseconds: no expiration
      }
    }
    if (headers.get(DELIVERY_TIME) instanceof Number n) {
      m.setJMSDeliveryTime(n.longValue());
    } else {
      m.setJMSDeliveryTime(timestamp);
    }
    Object destination = headers.get(DESTINATION);
    m.setJMSDestination(
        destination != null
            ? WarrenDestination.fromAddress(destination.toString())
            : delivery.exchange().isEmpty()
                ? new WarrenQueue(delivery.routingKey())
                : new WarrenTopic(delivery.exchange(), delivery.routingKey()));
    m.setJMSRedelivered(delivery.redelivered());
    if (a.userId() != null) {
      m.putProperty("JMSXUserID", a.userId());
    }
    if (a.appId() != null) {
      m.putProperty("JMSXAppID", a.appId());
    }
    return m;
  }

  /** The connection id a message was sent from, for noLocal; null from other clients. */
  public static String sender(AmqpMessage a) {
    Object v = a.headers() == null ? null : a.headers().get(SENDER);
    return v == null ? null : v.toString();
  }

  private static String inferKind(String contentType) {
    if (contentType == null) {
      return "bytes";
    }
    String t = contentType.toLowerCase(Locale.ROOT);
    return t.startsWith("text/")
            || t.startsWith("application/json")
            || t.startsWith("application/xml")
            || t.endsWith("+json")
            || t.endsWith("+xml")
        ? "text"
        : "bytes";
  }

  private static WarrenMessage body(String kind, AmqpMessage a, List<String> trusted)
      throws JMSException {
    byte[] body = a.body() == null ? new byte[0] : a.body();
    try {
      switch (kind) {
        case "text" -> {
          WarrenTextMessage m = new WarrenTextMessage();
          m.setText(new String(body, charset(a.contentType())));
          return m;
        }
        case "map" -> {
          WarrenMapMessage m = new WarrenMapMessage();
          m.entries().putAll(TypedCodec.decodeMap(body));
          return m;
        }
        case "stream" -> {
          WarrenStreamMessage m = new WarrenStreamMessage();
          m.values().addAll(TypedCodec.decodeList(body));
          return m;
        }
        case "object" -> {
          WarrenObjectMessage m = new WarrenObjectMessage();
          m.trustPackages(trusted);
          m.setSerialized(body);
          return m;
        }
        case "message" -> {
          return new WarrenMessage();
        }
        default -> {
          WarrenBytesMessage m = new WarrenBytesMessage();
          m.setBody(body);
          return m;
        }
      }
    } catch (IOException e) {
      JMSException failure = new jakarta.jms.MessageFormatException("bad " + kind + " body: " + e);
      failure.setLinkedException(e);
      throw failure;
    }
  }

  private static Charset charset(String contentType) {
    if (contentType != null) {
      int i = contentType.toLowerCase(Locale.ROOT).indexOf("charset=");
      if (i >= 0) {
        String name = contentType.substring(i + 8).split("[;\\s]")[0].replace("\"", "");
        try {
          return Charset.forName(name);
        } catch (RuntimeException ignored) {
          // unknown charset: UTF-8
        }
      }
    }
    return StandardCharsets.UTF_8;
  }

  /** Header values JMS properties cannot hold become their nearest JMS type. */
  private static Object propertyValue(Object v) {
    if (v == null || TypedValues.isPropertyValue(v)) {
      return v;
    }
    if (v instanceof Date d) {
      return d.getTime();
    }
    if (v instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    return v.toString();
  }
}
