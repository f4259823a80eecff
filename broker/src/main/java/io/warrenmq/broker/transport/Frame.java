package io.warrenmq.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;

/**
 * One decoded AMQP frame (AMQP 0-9-1 §4.2.3): its type, channel and payload. The payload is a slice
 * of the read buffer, not a copy; whoever takes the frame releases it once.
 */
public final class Frame extends AbstractReferenceCounted {

  public static final int METHOD = 1;
  public static final int HEADER = 2;
  public static final int BODY = 3;
  public static final int HEARTBEAT = 8;
  public static final int END = 0xCE;

  /** Type, channel and size precede the payload; one end octet follows it. */
  public static final int OVERHEAD = 8;

  /**
   * The smallest frame_max a peer may negotiate, and the largest frame accepted before it has
   * negotiated one (AMQP 0-9-1 §4.2.3, frame-min-size).
   */
  public static final int MIN_SIZE = 4096;

  private final int type;
  private final int channel;
  private final ByteBuf payload;

  public Frame(int type, int channel, ByteBuf payload) {
    this.type = type;
    this.channel = channel;
    this.payload = payload;
  }

  public int type() {
    return type;
  }

  public int channel() {
    return channel;
  }

  public ByteBuf payload() {
    return payload;
  }

  @Override
  protected void deallocate() {
    payload.release();
  }

  @Override
  public Frame touch(Object hint) {
    payload.touch(hint);
    return this;
  }

  /**
   * How RabbitMQ names a frame in its error texts: {@code type 1, all octets = <<0,20,0,10,0>>},
   * showing at most the first 16 octets of the payload as an Erlang binary, so that texts match
   * RabbitMQ's (rabbit_reader's payload_snippet).
   */
  public static String describe(int type, ByteBuf payload) {
    int length = payload.readableBytes();
    int shown = Math.min(length, 16);
    return "type "
        + type
        + ", "
        + (length <= 16 ? "all" : "first 16")
        + " octets = "
        + erlangBinary(payload, payload.readerIndex(), shown, true);
  }

  /**
   * Octets written as Erlang prints a binary: {@code <<"abc">>} when every octet is printable
   * Latin-1 text and {@code printable} is set (format {@code ~p}), else {@code <<97,98,99>>}
   * (format {@code ~w}).
   */
  public static String erlangBinary(ByteBuf buf, int index, int length, boolean printable) {
    if (length == 0) {
      return "<<>>";
    }
    StringBuilder text = new StringBuilder("<<\"");
    for (int i = 0; printable && i < length; i++) {
      int c = buf.getUnsignedByte(index + i);
      switch (c) {
        case '"' -> text.append("\\\"");
        case '\\' -> text.append("\\\\");
        case '\n' -> text.append("\\n");
        case '\r' -> text.append("\\r");
        case '\t' -> text.append("\\t");
        case 0x0B -> text.append("\\v");
        case '\b' -> text.append("\\b");
        case '\f' -> text.append("\\f");
        case 0x1B -> text.append("\\e");
        default -> {
          if ((c >= 32 && c < 127) || c >= 160) {
            text.append((char) c);
          } else {
            printable = false;
          }
        }
      }
    }
    if (printable) {
      return text.append("\">>").toString();
    }
    StringBuilder numbers = new StringBuilder("<<");
    for (int i = 0; i < length; i++) {
      numbers.append(i == 0 ? "" : ",").append(buf.getUnsignedByte(index + i));
    }
    return numbers.append(">>").toString();
  }

  @Override
  public String toString() {
    return "Frame(type="
        + type
        + ", channel="
        + channel
        + ", size="
        + payload.readableBytes()
        + ")";
  }
}
