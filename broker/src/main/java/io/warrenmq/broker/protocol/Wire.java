package io.warrenmq.broker.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** Reads and writes the AMQP 0-9-1 string types (AMQP 0-9-1 §4.2.5.3). */
public final class Wire {

  private Wire() {}

  /** A short string: one octet of length, then up to 255 octets of UTF-8. */
  public static String readShortString(ByteBuf in) {
    int length = in.readUnsignedByte();
    String value = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
    in.skipBytes(length);
    return value;
  }

  /**
   * Writes a short string.
   *
   * @throws IllegalArgumentException when its UTF-8 form is longer than 255 octets
   */
  public static void writeShortString(ByteBuf out, String value) {
    int lengthIndex = out.writerIndex();
    out.writeByte(0);
    int length = out.writeCharSequence(value, StandardCharsets.UTF_8);
    if (length > 255) {
      out.writerIndex(lengthIndex);
      throw new IllegalArgumentException("short string longer than 255 octets");
    }
    out.setByte(lengthIndex, length);
  }

  /** A long string: four octets of length, then that many octets. */
  public static byte[] readLongBytes(ByteBuf in) {
    long length = in.readUnsignedInt();
    if (length > in.readableBytes()) {
      throw new IndexOutOfBoundsException("long string of " + length + " octets overruns frame");
    }
    byte[] value = new byte[(int) length];
    in.readBytes(value);
    return value;
  }

  public static void writeLongBytes(ByteBuf out, byte[] value) {
    out.writeInt(value.length);
    out.writeBytes(value);
  }

  /** Writes a long string from UTF-8 text, without an intermediate array. */
  public static void writeLongString(ByteBuf out, CharSequence value) {
    int lengthIndex = out.writerIndex();
    out.writeInt(0);
    int length = out.writeCharSequence(value, StandardCharsets.UTF_8);
    out.setInt(lengthIndex, length);
  }
}
