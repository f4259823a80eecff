package io.warrenmq.jms.vm;

import io.netty.buffer.ByteBuf;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.WireProperties;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns what the broker delivers into the link's {@link AmqpMessage}, so that a message looks the
 * same whichever transport carried it: timestamps are whole seconds (AMQP's), header values are
 * what the RabbitMQ Java client would hand over. (The other way is {@link WireProperties}.)
 *
 * <p><b>Bodies.</b> Publishing wraps the caller's array, never copies it. On delivery the JMS
 * message needs a {@code byte[]}: when the broker's buffer is a heap buffer whose array is exactly
 * the body (always the case for a message an in-VM client published) that array is handed over as
 * it is — shared by every receiver of the message, which never write into a received body;
 * otherwise (a body read from a socket, in a pooled or composite buffer) it is copied once.
 */
final class VmMessages {
  private VmMessages() {}

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
