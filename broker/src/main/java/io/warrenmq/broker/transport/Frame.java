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
