package io.warrenmq.jms.vm;

import io.netty.buffer.ByteBuf;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.WireProperties;

/**
 * Turns what the broker delivers into the link's delivery, so that a message looks the same
 * whichever transport carried it ({@link WireProperties#message}).
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
    return new LinkDelivery(
        tag,
        entry.redelivered(),
        msg.exchange(),
        msg.routingKey(),
        WireProperties.message(msg.properties(), body(msg.body())));
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
}
