package io.warrenmq.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.MessageFormatException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A MapMessage, with the conversions of the spec's MapMessage table. */
public class WarrenMapMessage extends WarrenMessage implements MapMessage {
  private final Map<String, Object> map = new LinkedHashMap<>();

  /** The entries, for the codec. */
  public Map<String, Object> entries() {
    return map;
  }

  @Override
  public boolean getBoolean(String name) throws JMSException {
    return TypedValues.toBoolean(map.get(name));
  }

  @Override
  public byte getByte(String name) throws JMSException {
    return TypedValues.toByte(map.get(name));
  }

  @Override
  public short getShort(String name) throws JMSException {
    return TypedValues.toShort(map.get(name));
  }

  @Override
  public char getChar(String name) throws JMSException {
    return TypedValues.toChar(map.get(name));
  }

  @Override
  public int getInt(String name) throws JMSException {
    return TypedValues.toInt(map.get(name));
  }

  @Override
  public long getLong(String name) throws JMSException {
    return TypedValues.toLong(map.get(name));
  }

  @Override
  public float getFloat(String name) throws JMSException {
    return TypedValues.toFloat(map.get(name));
  }

  @Override
  public double getDouble(String name) throws JMSException {
    return TypedValues.toDouble(map.get(name));
  }

  @Override
  public String getString(String name) throws JMSException {
    return TypedValues.toStringValue(map.get(name));
  }

  @Override
  public byte[] getBytes(String name) throws JMSException {
    byte[] b = TypedValues.toBytes(map.get(name));
    return b == null ? null : b.clone();
  }

  @Override
  public Object getObject(String name) {
    Object v = map.get(name);
    return v instanceof byte[] b ? b.clone() : v;
  }

  @Override
  public Enumeration<String> getMapNames() {
    return Collections.enumeration(map.keySet());
  }

  @Override
  public void setBoolean(String name, boolean value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setByte(String name, byte value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setShort(String name, short value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setChar(String name, char value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setInt(String name, int value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setLong(String name, long value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setFloat(String name, float value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setDouble(String name, double value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setString(String name, String value) throws JMSException {
    put(name, value);
  }

  @Override
  public void setBytes(String name, byte[] value) throws JMSException {
    put(name, value == null ? null : value.clone());
  }

  @Override
  public void setBytes(String name, byte[] value, int offset, int length) throws JMSException {
    put(name, java.util.Arrays.copyOfRange(value, offset, offset + length));
  }

  @Override
  public void setObject(String name, Object value) throws JMSException {
    if (!TypedValues.isBodyValue(value)) {
      throw new MessageFormatException("not a MapMessage value: " + value.getClass());
    }
    put(name, value instanceof byte[] b ? b.clone() : value);
  }

  @Override
  public boolean itemExists(String name) {
    return map.containsKey(name);
  }

  private void put(String name, Object value) throws JMSException {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a map entry needs a name");
    }
    checkWritable();
    map.put(name, value);
  }

  @Override
  public void clearBody() throws JMSException {
    super.clearBody();
    map.clear();
  }

  @Override
  protected Object bodyValue() {
    return map.isEmpty() ? null : new LinkedHashMap<>(map);
  }

  @Override
  public byte[] encodeBody() {
    return TypedCodec.encodeMap(map);
  }

  @Override
  public String bodyKind() {
    return "map";
  }
}
