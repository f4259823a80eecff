package io.warrenmq.broker.store.h2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.Wire;
import java.util.Map;

/**
 * The byte layouts the H2 store writes. Messages: exchange, routing key (short strings), property
 * length and properties, then the body. Queue entries: one flags octet, then either a message id (a
 * reference into the message map) or a whole message inline (a transient message paged out). A
 * reference of a queue that counts deliveries (a quorum queue) may end with the count (an int).
 */
final class Records {

  static final int ENTRY_REFERENCE = 1;
  static final int ENTRY_INLINE = 2;
  static final int ENTRY_REDELIVERED = 4;
  static final int ENTRY_COUNTED = 8;

  private Records() {}

  /** Encodes a message; the one copy a body makes is the one onto disk. */
  static byte[] message(Message m) {
    ByteBuf props = m.encodedProperties();
    ByteBuf body = m.body();
    ByteBuf out = Unpooled.buffer(8 + 512 + props.readableBytes() + body.readableBytes());
    try {
      Wire.writeShortString(out, m.exchange());
      Wire.writeShortString(out, m.routingKey());
      out.writeInt(props.readableBytes());
      out.writeBytes(props, props.readerIndex(), props.readableBytes());
      out.writeBytes(body, body.readerIndex(), body.readableBytes());
      byte[] bytes = new byte[out.readableBytes()];
      out.readBytes(bytes);
      return bytes;
    } finally {
      out.release();
    }
  }

  /** Decodes a message; properties and body are views of {@code bytes}, not copies. */
  static Message message(byte[] bytes, int offset, MemoryAccount account) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes, offset, bytes.length - offset);
    String exchange = Wire.readShortString(in);
    String routingKey = Wire.readShortString(in);
    int propsLength = in.readInt();
    ByteBuf props = in.readRetainedSlice(propsLength);
    ByteBuf body = in.readRetainedSlice(in.readableBytes());
    in.release();
    return Message.fromWire(exchange, routingKey, props, body, account);
  }

  static byte[] reference(long messageId, boolean redelivered) {
    return reference(messageId, redelivered, 0);
  }

  /** A reference that keeps how often the message came back, when it did. */
  static byte[] reference(long messageId, boolean redelivered, int deliveryCount) {
    byte[] b = new byte[deliveryCount == 0 ? 9 : 13];
    b[0] =
        (byte)
            (ENTRY_REFERENCE
                | (redelivered ? ENTRY_REDELIVERED : 0)
                | (deliveryCount == 0 ? 0 : ENTRY_COUNTED));
    for (int i = 0; i < 8; i++) {
      b[1 + i] = (byte) (messageId >>> (56 - 8 * i));
    }
    for (int i = 0; i < 4 && deliveryCount != 0; i++) {
      b[9 + i] = (byte) (deliveryCount >>> (24 - 8 * i));
    }
    return b;
  }

  /** The delivery count a reference keeps, or 0. */
  static int deliveryCount(byte[] entry) {
    if ((entry[0] & ENTRY_COUNTED) == 0) {
      return 0;
    }
    int count = 0;
    for (int i = 0; i < 4; i++) {
      count = (count << 8) | (entry[9 + i] & 0xFF);
    }
    return count;
  }

  static long referencedId(byte[] entry) {
    long id = 0;
    for (int i = 0; i < 8; i++) {
      id = (id << 8) | (entry[1 + i] & 0xFF);
    }
    return id;
  }

  static byte[] inline(Message m, boolean redelivered) {
    byte[] msg = message(m);
    byte[] b = new byte[msg.length + 1];
    b[0] = (byte) (ENTRY_INLINE | (redelivered ? ENTRY_REDELIVERED : 0));
    System.arraycopy(msg, 0, b, 1, msg.length);
    return b;
  }

  static boolean isReference(byte[] entry) {
    return (entry[0] & ENTRY_REFERENCE) != 0;
  }

  static boolean redelivered(byte[] entry) {
    return (entry[0] & ENTRY_REDELIVERED) != 0;
  }

  static byte[] table(Map<String, Object> table) {
    ByteBuf out = Unpooled.buffer();
    try {
      FieldTable.write(out, table);
      byte[] bytes = new byte[out.readableBytes()];
      out.readBytes(bytes);
      return bytes;
    } finally {
      out.release();
    }
  }

  static Map<String, Object> table(ByteBuf in) {
    return FieldTable.read(in);
  }
}
