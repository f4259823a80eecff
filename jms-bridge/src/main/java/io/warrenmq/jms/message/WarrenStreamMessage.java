package io.warrenmq.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotReadableException;
import jakarta.jms.StreamMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * A StreamMessage: a list of typed values read in order with the spec's StreamMessage conversions.
 * A read that fails to convert leaves the position where it was (§3.15).
 */
public class WarrenStreamMessage extends WarrenMessage implements StreamMessage {
  private final List<Object> values = new ArrayList<>();
  private int position = -1;
  private byte[] partialBytes;
  private int partialOffset;

  /** The values, for the codec. */
  public List<Object> values() {
    return values;
  }

  @Override
  protected void onReceived() {
    position = 0;
    partialBytes = null;
  }

  @Override
  public void reset() {
    bodyReadOnly = true;
    onReceived();
  }

  @Override
  public void clearBody() throws JMSException {
    super.clearBody();
    values.clear();
    position = -1;
    partialBytes = null;
  }

  private interface Convert<T> {
    T convert(Object v) throws JMSException;
  }

  private <T> T next(Convert<T> convert) throws JMSException {
    if (position < 0) {
      throw new MessageNotReadableException("the message is in write-only mode: call reset()");
    }
    if (partialBytes != null) {
      throw new MessageFormatException("a byte array field is partly read");
    }
    if (position >= values.size()) {
      throw new MessageEOFException("end of the stream");
    }
    T v = convert.convert(values.get(position));
    position++;
    return v;
  }

  @Override
  public boolean readBoolean() throws JMSException {
    return next(TypedValues::toBoolean);
  }

  @Override
  public byte readByte() throws JMSException {
    return next(TypedValues::toByte);
  }

  @Override
  public short readShort() throws JMSException {
    return next(TypedValues::toShort);
  }

  @Override
  public char readChar() throws JMSException {
    return next(TypedValues::toChar);
  }

  @Override
  public int readInt() throws JMSException {
    return next(TypedValues::toInt);
  }

  @Override
  public long readLong() throws JMSException {
    return next(TypedValues::toLong);
  }

  @Override
  public float readFloat() throws JMSException {
    return next(TypedValues::toFloat);
  }

  @Override
  public double readDouble() throws JMSException {
    return next(TypedValues::toDouble);
  }

  @Override
  public String readString() throws JMSException {
    return next(TypedValues::toStringValue);
  }

  @Override
  public int readBytes(byte[] value) throws JMSException {
    if (partialBytes == null) {
      byte[] field = next(TypedValues::toBytes);
      if (field == null) {
        return -1;
      }
      partialBytes = field;
      partialOffset = 0;
    }
    int n = Math.min(value.length, partialBytes.length - partialOffset);
    if (n == 0 && partialOffset == partialBytes.length && partialOffset > 0) {
      partialBytes = null;
      return -1;
    }
    System.arraycopy(partialBytes, partialOffset, value, 0, n);
    partialOffset += n;
    if (n < value.length) {
      partialBytes = null;
    }
    return n;
  }

  @Override
  public Object readObject() throws JMSException {
    return next(v -> v instanceof byte[] b ? b.clone() : v);
  }

  private void add(Object v) throws JMSException {
    checkWritable();
    values.add(v);
  }

  @Override
  public void writeBoolean(boolean value) throws JMSException {
    add(value);
  }

  @Override
  public void writeByte(byte value) throws JMSException {
    add(value);
  }

  @Override
  public void writeShort(short value) throws JMSException {
    add(value);
  }

  @Override
  public void writeChar(char value) throws JMSException {
    add(value);
  }

  @Override
  public void writeInt(int value) throws JMSException {
    add(value);
  }

  @Override
  public void writeLong(long value) throws JMSException {
    add(value);
  }

  @Override
  public void writeFloat(float value) throws JMSException {
    add(value);
  }

  @Override
  public void writeDouble(double value) throws JMSException {
    add(value);
  }

  @Override
  public void writeString(String value) throws JMSException {
    add(value);
  }

  @Override
  public void writeBytes(byte[] value) throws JMSException {
    add(value == null ? null : value.clone());
  }

  @Override
  public void writeBytes(byte[] value, int offset, int length) throws JMSException {
    add(java.util.Arrays.copyOfRange(value, offset, offset + length));
  }

  @Override
  public void writeObject(Object value) throws JMSException {
    if (!TypedValues.isBodyValue(value)) {
      throw new MessageFormatException("not a StreamMessage value: " + value.getClass());
    }
    add(value instanceof byte[] b ? b.clone() : value);
  }

  @Override
  @SuppressWarnings("rawtypes")
  public boolean isBodyAssignableTo(Class c) {
    // §3.11.2.4: a StreamMessage body cannot be read with getBody.
    return false;
  }

  @Override
  public <T> T getBody(Class<T> c) throws JMSException {
    throw new MessageFormatException("the body of a StreamMessage cannot be read with getBody");
  }

  @Override
  public byte[] encodeBody() {
    return TypedCodec.encodeList(values);
  }

  @Override
  public String bodyKind() {
    return "stream";
  }
}
