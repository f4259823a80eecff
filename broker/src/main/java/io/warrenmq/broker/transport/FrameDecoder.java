package io.warrenmq.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;

/**
 * Cuts the byte stream into {@link Frame}s (AMQP 0-9-1 §4.2.3). An explicit state machine of one
 * state: a frame states its size, so the decoder waits for 7 + size + 1 octets and decodes once.
 *
 * <p>A frame larger than the negotiated frame_max, or one that does not end in 0xCE, is a
 * connection error (501 FRAME_ERROR): the decoder raises {@link FrameException} and stops reading.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

  private volatile int frameMax;
  private boolean failed;

  public FrameDecoder(int frameMax) {
    this.frameMax = frameMax;
  }

  /** Sets the largest frame accepted from now on, as negotiated in connection.tune-ok. */
  public void frameMax(int frameMax) {
    this.frameMax = frameMax;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    while (in.readableBytes() >= 7) {
      int start = in.readerIndex();
      int type = in.getUnsignedByte(start);
      int channel = in.getUnsignedShort(start + 1);
      long size = in.getUnsignedInt(start + 3);
      if (size + Frame.OVERHEAD > frameMax) {
        fail(in);
        throw new FrameException(
            "frame of type "
                + type
                + " on channel "
                + channel
                + " is "
                + (size + Frame.OVERHEAD)
                + " octets, larger than frame_max "
                + frameMax);
      }
      if (in.readableBytes() < size + Frame.OVERHEAD) {
        return;
      }
      int end = in.getUnsignedByte(start + 7 + (int) size);
      if (end != Frame.END) {
        fail(in);
        throw new FrameException(
            String.format(
                "frame of type %d on channel %d ends in 0x%02X, not 0xCE", type, channel, end));
      }
      if (type != Frame.METHOD
          && type != Frame.HEADER
          && type != Frame.BODY
          && type != Frame.HEARTBEAT) {
        fail(in);
        throw new FrameException("unknown frame type " + type + " on channel " + channel);
      }
      ByteBuf payload = in.retainedSlice(start + 7, (int) size);
      in.skipBytes((int) size + Frame.OVERHEAD);
      out.add(new Frame(type, channel, payload));
    }
  }

  private void fail(ByteBuf in) {
    failed = true;
    in.skipBytes(in.readableBytes());
  }

  /** A frame violates the framing rules; the connection closes with 501 FRAME_ERROR. */
  public static final class FrameException extends DecoderException {
    public FrameException(String message) {
      super(message);
    }
  }
}
