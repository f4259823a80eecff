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
 * <p>A frame larger than frame_max, one that does not end in 0xCE, or one of an unknown type or too
 * short for its type, is a connection error (501 FRAME_ERROR): the decoder raises {@link
 * FrameException} with RabbitMQ's text. After the first two it has lost the frame boundaries and
 * discards all further input; after the others it keeps decoding.
 *
 * <p>Until connection.tune-ok sets the negotiated frame_max, frames are held to the one they were
 * built with ({@link Frame#MIN_SIZE} on a new connection, as in RabbitMQ) and handed on one at a
 * time, so that a tune-ok is acted on before the frames that follow it are measured.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

  private int frameMax;
  private boolean tuned;
  private boolean failed;

  public FrameDecoder(int frameMax) {
    this.frameMax = frameMax;
  }

  /**
   * Sets the largest frame accepted from now on, as negotiated in connection.tune-ok. Called on the
   * connection's event loop, from the handler of a frame this decoder passed on.
   */
  public void frameMax(int frameMax) {
    this.frameMax = frameMax;
    this.tuned = true;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    while (in.readableBytes() >= 7 && (tuned || out.isEmpty())) {
      int start = in.readerIndex();
      int type = in.getUnsignedByte(start);
      long size = in.getUnsignedInt(start + 3);
      // Like RabbitMQ, let the payload itself reach frame_max: clients often forget the 8 octets
      // of framing when they cut content into frames.
      if (size > frameMax) {
        fail(in);
        throw new FrameException(
            String.format(
                "type %d, all octets = <<>>: {frame_too_large,%d,%d}",
                type, size, frameMax - Frame.OVERHEAD));
      }
      if (in.readableBytes() < size + Frame.OVERHEAD) {
        return;
      }
      int channel = in.getUnsignedShort(start + 1);
      ByteBuf payload = in.slice(start + 7, (int) size);
      int end = in.getUnsignedByte(start + 7 + (int) size);
      if (end != Frame.END) {
        String error = Frame.describe(type, payload) + ": {invalid_frame_end_marker," + end + "}";
        fail(in);
        throw new FrameException(error);
      }
      if (!wellFormed(type, (int) size)) {
        // Still in step with the stream: skip the frame, and keep reading for the close-ok.
        String error = Frame.describe(type, payload) + ": unknown_frame";
        in.skipBytes((int) size + Frame.OVERHEAD);
        throw new FrameException(error);
      }
      in.skipBytes((int) size + Frame.OVERHEAD);
      out.add(new Frame(type, channel, payload.retain()));
    }
  }

  /**
   * Whether a frame of this type may have this payload size: a method names its class and method (4
   * octets), a content header holds class, weight and body size (12), a heartbeat is empty (AMQP
   * 0-9-1 §4.2.6, §4.2.7). RabbitMQ calls anything else an unknown frame.
   */
  private static boolean wellFormed(int type, int size) {
    return switch (type) {
      case Frame.METHOD -> size >= 4;
      case Frame.HEADER -> size >= 12;
      case Frame.BODY -> true;
      case Frame.HEARTBEAT -> size == 0;
      default -> false;
    };
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
