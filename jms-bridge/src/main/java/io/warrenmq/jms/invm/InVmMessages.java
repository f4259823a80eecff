package io.warrenmq.jms.invm;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Link messages to broker messages and back. Bodies are not copied: a message published in-VM is
 * the publisher's array wrapped, and a consumer reading a message whose body is one whole heap
 * array gets that array. Messages from network publishers (pooled or composite buffers) are copied
 * once when delivered. AMQP timestamps are seconds; header strings arrive as {@link LongString}.
 */
final class InVmMessages {
  private InVmMessages() {}

  static BasicProperties properties(AmqpMessage m) {
    return new BasicProperties(
        m.contentType(),
        m.contentEncoding(),
        m.headers(),
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
        null);
  }

  static LinkDelivery delivery(long tag, QueueEntry entry) {
    Message msg = entry.message();
    BasicProperties p = msg.properties();
    AmqpMessage m =
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
            bytes(msg.body()));
    return new LinkDelivery(tag, entry.redelivered(), msg.exchange(), msg.routingKey(), m);
  }

  /** The body's array itself when the buffer is exactly one whole heap array, else a copy. */
  private static byte[] bytes(ByteBuf body) {
    int n = body.readableBytes();
    if (body.hasArray()
        && body.arrayOffset() + body.readerIndex() == 0
        && body.array().length == n) {
      return body.array();
    }
    return ByteBufUtil.getBytes(body, body.readerIndex(), n);
  }

  private static Map<String, Object> plain(Map<String, Object> headers) {
    if (headers == null) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    headers.forEach((k, v) -> out.put(k, plainValue(v)));
    return out;
  }

  private static Object plainValue(Object v) {
    if (v instanceof LongString s) {
      return s.toString();
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
