package io.warrenmq.broker.protocol;

import io.netty.buffer.ByteBuf;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The field table codec, with the type letters RabbitMQ and its clients use (RabbitMQ's errata to
 * AMQP 0-9-1 §4.2.5.5): {@code t b B s u I i l f d D S x A T F V}.
 *
 * <p>Values decode to {@link Boolean}, {@link Byte}, {@link Short}, {@link Integer}, {@link Long},
 * {@link Float}, {@link Double}, {@link BigDecimal}, {@link LongString}, {@code byte[]}, {@link
 * List}, {@link Instant}, {@link Map} and {@code null}. Encoding also takes {@link String}.
 */
public final class FieldTable {

  private FieldTable() {}

  /** Reads a table; an empty one decodes to an immutable empty map. */
  public static Map<String, Object> read(ByteBuf in) {
    long length = in.readUnsignedInt();
    if (length == 0) {
      return Collections.emptyMap();
    }
    if (length > in.readableBytes()) {
      throw new IndexOutOfBoundsException("field table of " + length + " octets overruns frame");
    }
    ByteBuf table = in.readSlice((int) length);
    Map<String, Object> map = new LinkedHashMap<>();
    while (table.isReadable()) {
      String name = Wire.readShortString(table);
      map.put(name, readValue(table));
    }
    return map;
  }

  private static Object readValue(ByteBuf in) {
    int type = in.readUnsignedByte();
    return switch (type) {
      case 't' -> in.readBoolean();
      case 'b' -> in.readByte();
      case 'B' -> (short) in.readUnsignedByte();
      case 's' -> in.readShort();
      case 'u' -> in.readUnsignedShort();
      case 'I' -> in.readInt();
      case 'i' -> in.readUnsignedInt();
      case 'l' -> in.readLong();
      case 'f' -> in.readFloat();
      case 'd' -> in.readDouble();
      case 'D' -> {
        int scale = in.readUnsignedByte();
        yield new BigDecimal(BigInteger.valueOf(in.readInt()), scale);
      }
      case 'S' -> LongString.of(Wire.readLongBytes(in));
      case 'x' -> Wire.readLongBytes(in);
      case 'A' -> readArray(in);
      case 'T' -> Instant.ofEpochSecond(in.readLong());
      case 'F' -> read(in);
      case 'V' -> null;
      default ->
          throw new IllegalArgumentException("unknown field table type '" + (char) type + "'");
    };
  }

  private static List<Object> readArray(ByteBuf in) {
    long length = in.readUnsignedInt();
    if (length > in.readableBytes()) {
      throw new IndexOutOfBoundsException("field array of " + length + " octets overruns frame");
    }
    ByteBuf array = in.readSlice((int) length);
    List<Object> list = new ArrayList<>();
    while (array.isReadable()) {
      list.add(readValue(array));
    }
    return list;
  }

  public static void write(ByteBuf out, Map<String, ?> table) {
    int lengthIndex = out.writerIndex();
    out.writeInt(0);
    if (table != null) {
      for (Map.Entry<String, ?> e : table.entrySet()) {
        Wire.writeShortString(out, e.getKey());
        writeValue(out, e.getValue());
      }
    }
    out.setInt(lengthIndex, out.writerIndex() - lengthIndex - 4);
  }

  private static void writeValue(ByteBuf out, Object value) {
    if (value == null) {
      out.writeByte('V');
    } else if (value instanceof Boolean b) {
      out.writeByte('t').writeBoolean(b);
    } else if (value instanceof Byte b) {
      out.writeByte('b').writeByte(b);
    } else if (value instanceof Short s) {
      out.writeByte('s').writeShort(s);
    } else if (value instanceof Integer i) {
      out.writeByte('I').writeInt(i);
    } else if (value instanceof Long l) {
      out.writeByte('l').writeLong(l);
    } else if (value instanceof Float f) {
      out.writeByte('f').writeFloat(f);
    } else if (value instanceof Double d) {
      out.writeByte('d').writeDouble(d);
    } else if (value instanceof BigDecimal d) {
      out.writeByte('D').writeByte(d.scale()).writeInt(d.unscaledValue().intValueExact());
    } else if (value instanceof LongString s) {
      out.writeByte('S');
      Wire.writeLongBytes(out, s.bytes());
    } else if (value instanceof CharSequence s) {
      out.writeByte('S');
      Wire.writeLongString(out, s);
    } else if (value instanceof byte[] bytes) {
      out.writeByte('x');
      Wire.writeLongBytes(out, bytes);
    } else if (value instanceof List<?> list) {
      out.writeByte('A');
      int lengthIndex = out.writerIndex();
      out.writeInt(0);
      for (Object item : list) {
        writeValue(out, item);
      }
      out.setInt(lengthIndex, out.writerIndex() - lengthIndex - 4);
    } else if (value instanceof Instant t) {
      out.writeByte('T').writeLong(t.getEpochSecond());
    } else if (value instanceof Map<?, ?> map) {
      out.writeByte('F');
      @SuppressWarnings("unchecked")
      Map<String, ?> table = (Map<String, ?>) map;
      write(out, table);
    } else {
      throw new IllegalArgumentException("cannot encode " + value.getClass() + " in a field table");
    }
  }

  /**
   * The name RabbitMQ gives a value's field type in its error texts ({@code longstr}, {@code
   * signedint}, {@code bool}…). Unsigned wire types decode to the next wider signed type and are
   * named after it.
   */
  public static String typeName(Object value) {
    if (value instanceof LongString || value instanceof String) {
      return "longstr";
    } else if (value instanceof Integer) {
      return "signedint";
    } else if (value instanceof Long) {
      return "long";
    } else if (value instanceof Short) {
      return "short";
    } else if (value instanceof Byte) {
      return "byte";
    } else if (value instanceof Boolean) {
      return "bool";
    } else if (value instanceof Double) {
      return "double";
    } else if (value instanceof Float) {
      return "float";
    } else if (value instanceof BigDecimal) {
      return "decimal";
    } else if (value instanceof Instant) {
      return "timestamp";
    } else if (value instanceof Map) {
      return "table";
    } else if (value instanceof List) {
      return "array";
    } else if (value instanceof byte[]) {
      return "binary";
    }
    return value == null ? "void" : value.getClass().getSimpleName();
  }

  /** A table value as text, whether it arrived as a long string or was set as a String. */
  public static String string(Map<String, ?> table, String key) {
    Object value = table == null ? null : table.get(key);
    return value instanceof LongString || value instanceof String ? value.toString() : null;
  }
}
