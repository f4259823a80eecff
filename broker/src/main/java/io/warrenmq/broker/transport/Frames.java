package io.warrenmq.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.warrenmq.broker.protocol.AmqpMethod;

/**
 * Writes frames. Bodies go out as slices of the message's own buffer, so a message delivered to
 * many consumers is never copied; only the few octets of framing around it are allocated.
 */
public final class Frames {

  private static final ByteBuf HEARTBEAT =
      Unpooled.unreleasableBuffer(
          Unpooled.wrappedBuffer(new byte[] {Frame.HEARTBEAT, 0, 0, 0, 0, 0, 0, (byte) Frame.END}));

  private static final ByteBuf END =
      Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[] {(byte) Frame.END}));

  private static final int BASIC_CLASS_ID = 60;

  private Frames() {}

  /** A whole method frame. */
  public static ByteBuf method(ByteBufAllocator alloc, int channel, AmqpMethod method) {
    ByteBuf out = alloc.buffer(64);
    appendMethod(out, channel, method);
    return out;
  }

  private static void appendMethod(ByteBuf out, int channel, AmqpMethod method) {
    out.writeByte(Frame.METHOD).writeShort(channel);
    int sizeIndex = out.writerIndex();
    out.writeInt(0);
    out.writeShort(method.protocolClassId()).writeShort(method.protocolMethodId());
    method.encodeArguments(out);
    out.setInt(sizeIndex, out.writerIndex() - sizeIndex - 4);
    out.writeByte(Frame.END);
  }

  public static ByteBuf heartbeat() {
    return HEARTBEAT.duplicate();
  }

  /**
   * Writes (without flushing) a content-bearing method with its header and body frames (AMQP 0-9-1
   * §4.2.6): method, header and the first body frame's framing share one small buffer; the body
   * follows as retained slices of at most {@code frameMax - 8} octets.
   *
   * @param properties the encoded property flags and list; not consumed
   * @param body the message body; not consumed
   */
  public static void writeContent(
      Channel ch, int channel, AmqpMethod method, ByteBuf properties, ByteBuf body, int frameMax) {
    int bodySize = body.readableBytes();
    ByteBuf head = ch.alloc().buffer(128 + properties.readableBytes());
    appendMethod(head, channel, method);
    head.writeByte(Frame.HEADER).writeShort(channel);
    head.writeInt(12 + properties.readableBytes());
    head.writeShort(BASIC_CLASS_ID).writeShort(0).writeLong(bodySize);
    head.writeBytes(properties, properties.readerIndex(), properties.readableBytes());
    head.writeByte(Frame.END);
    if (bodySize == 0) {
      ch.write(head, ch.voidPromise());
      return;
    }
    int chunk = frameMax - Frame.OVERHEAD;
    int offset = 0;
    while (offset < bodySize) {
      int length = Math.min(chunk, bodySize - offset);
      if (head == null) {
        head = ch.alloc().buffer(8);
      }
      head.writeByte(Frame.BODY).writeShort(channel).writeInt(length);
      ch.write(head, ch.voidPromise());
      head = null;
      ch.write(body.retainedSlice(body.readerIndex() + offset, length), ch.voidPromise());
      offset += length;
      if (offset < bodySize) {
        head = ch.alloc().buffer(8);
        head.writeByte(Frame.END);
      }
    }
    ch.write(END.duplicate(), ch.voidPromise());
  }
}
