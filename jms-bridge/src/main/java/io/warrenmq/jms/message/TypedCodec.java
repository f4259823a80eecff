package io.warrenmq.jms.message;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body format of MapMessage and StreamMessage: a sequence of tagged values (a tag octet, then
 * the value big-endian; strings and byte arrays are a 4-octet length and the octets, strings in
 * UTF-8). A map body is a 4-octet count of entries, each a name (as a string) and a tagged value.
 */
final class TypedCodec {
  private TypedCodec() {}

  private static final int NULL = 0;
  private static final int BOOLEAN = 1;
  private static final int BYTE = 2;
  private static final int SHORT = 3;
  private static final int CHAR = 4;
  private static final int INT = 5;
  private static final int LONG = 6;
  private static final int FLOAT = 7;
  private static final int DOUBLE = 8;
  private static final int STRING = 9;
  private static final int BYTES = 10;

  static byte[] encodeMap(Map<String, Object> map) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(map.size());
      for (Map.Entry<String, Object> e : map.entrySet()) {
        writeString(out, e.getKey());
        write(out, e.getValue());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  static Map<String, Object> decodeMap(byte[] body) throws IOException {
    Map<String, Object> map = new LinkedHashMap<>();
    if (body == null || body.length == 0) {
      return map;
    }
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      String name = readString(in);
      map.put(name, read(in));
    }
    return map;
  }

  static byte[] encodeList(List<Object> values) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      for (Object v : values) {
        write(out, v);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  static List<Object> decodeList(byte[] body) throws IOException {
    List<Object> values = new ArrayList<>();
    if (body == null) {
      return values;
    }
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
    while (in.available() > 0) {
      values.add(read(in));
    }
    return values;
  }

  private static void write(DataOutputStream out, Object v) throws IOException {
    if (v == null) {
      out.writeByte(NULL);
    } else if (v instanceof Boolean b) {
      out.writeByte(BOOLEAN);
      out.writeBoolean(b);
    } else if (v instanceof Byte b) {
      out.writeByte(BYTE);
      out.writeByte(b);
    } else if (v instanceof Short s) {
      out.writeByte(SHORT);
      out.writeShort(s);
    } else if (v instanceof Character c) {
      out.writeByte(CHAR);
      out.writeChar(c);
    } else if (v instanceof Integer i) {
      out.writeByte(INT);
      out.writeInt(i);
    } else if (v instanceof Long l) {
      out.writeByte(LONG);
      out.writeLong(l);
    } else if (v instanceof Float f) {
      out.writeByte(FLOAT);
      out.writeFloat(f);
    } else if (v instanceof Double d) {
      out.writeByte(DOUBLE);
      out.writeDouble(d);
    } else if (v instanceof String s) {
      out.writeByte(STRING);
      writeString(out, s);
    } else if (v instanceof byte[] b) {
      out.writeByte(BYTES);
      out.writeInt(b.length);
      out.write(b);
    } else {
      throw new IllegalArgumentException("not a JMS body value: " + v.getClass());
    }
  }

  private static Object read(DataInputStream in) throws IOException {
    int tag = in.readUnsignedByte();
    return switch (tag) {
      case NULL -> null;
      case BOOLEAN -> in.readBoolean();
      case BYTE -> in.readByte();
      case SHORT -> in.readShort();
      case CHAR -> in.readChar();
      case INT -> in.readInt();
      case LONG -> in.readLong();
      case FLOAT -> in.readFloat();
      case DOUBLE -> in.readDouble();
      case STRING -> readString(in);
      case BYTES -> {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        yield b;
      }
      default -> throw new IOException("unknown value tag " + tag);
    };
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
