package io.warrenmq.jms.message;

import jakarta.jms.MessageFormatException;

/**
 * The conversions that JMS allows when a value written as one type is read as another (Jakarta
 * Messaging 3.1 §3.5.4 for properties, and the tables of MapMessage and StreamMessage). A
 * conversion the tables forbid throws {@link MessageFormatException}; a String that does not parse
 * throws {@link NumberFormatException}, as the spec says.
 */
public final class TypedValues {
  private TypedValues() {}

  public static boolean toBoolean(Object v) throws MessageFormatException {
    if (v instanceof Boolean b) {
      return b;
    }
    if (v == null || v instanceof String) {
      return Boolean.parseBoolean((String) v);
    }
    throw cannot(v, "boolean");
  }

  public static byte toByte(Object v) throws MessageFormatException {
    if (v instanceof Byte b) {
      return b;
    }
    if (v == null || v instanceof String) {
      return Byte.parseByte((String) v);
    }
    throw cannot(v, "byte");
  }

  public static short toShort(Object v) throws MessageFormatException {
    if (v instanceof Byte || v instanceof Short) {
      return ((Number) v).shortValue();
    }
    if (v == null || v instanceof String) {
      return Short.parseShort((String) v);
    }
    throw cannot(v, "short");
  }

  public static char toChar(Object v) throws MessageFormatException {
    if (v instanceof Character c) {
      return c;
    }
    if (v == null) {
      throw new NullPointerException("no char value");
    }
    throw cannot(v, "char");
  }

  public static int toInt(Object v) throws MessageFormatException {
    if (v instanceof Byte || v instanceof Short || v instanceof Integer) {
      return ((Number) v).intValue();
    }
    if (v == null || v instanceof String) {
      return Integer.parseInt((String) v);
    }
    throw cannot(v, "int");
  }

  public static long toLong(Object v) throws MessageFormatException {
    if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    if (v == null || v instanceof String) {
      if (v == null) {
        throw new NumberFormatException("null");
      }
      return Long.parseLong((String) v);
    }
    throw cannot(v, "long");
  }

  public static float toFloat(Object v) throws MessageFormatException {
    if (v instanceof Float f) {
      return f;
    }
    if (v == null) {
      throw new NullPointerException("no float value");
    }
    if (v instanceof String s) {
      return Float.parseFloat(s);
    }
    throw cannot(v, "float");
  }

  public static double toDouble(Object v) throws MessageFormatException {
    if (v instanceof Float || v instanceof Double) {
      return ((Number) v).doubleValue();
    }
    if (v == null) {
      throw new NullPointerException("no double value");
    }
    if (v instanceof String s) {
      return Double.parseDouble(s);
    }
    throw cannot(v, "double");
  }

  public static String toStringValue(Object v) throws MessageFormatException {
    if (v instanceof byte[]) {
      throw cannot(v, "String");
    }
    return v == null ? null : v.toString();
  }

  public static byte[] toBytes(Object v) throws MessageFormatException {
    if (v == null || v instanceof byte[]) {
      return (byte[]) v;
    }
    throw cannot(v, "byte[]");
  }

  /** Whether {@code v} may be a property value: a boxed primitive (not char) or a String. */
  public static boolean isPropertyValue(Object v) {
    return v instanceof Boolean
        || v instanceof Byte
        || v instanceof Short
        || v instanceof Integer
        || v instanceof Long
        || v instanceof Float
        || v instanceof Double
        || v instanceof String;
  }

  /** Whether {@code v} may be a MapMessage or StreamMessage value. */
  public static boolean isBodyValue(Object v) {
    return v == null || isPropertyValue(v) || v instanceof Character || v instanceof byte[];
  }

  private static MessageFormatException cannot(Object v, String type) {
    return new MessageFormatException(
        "cannot read a " + v.getClass().getSimpleName() + " value as " + type);
  }
}
