package io.warrenmq.jms.message;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotReadableException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * A BytesMessage: written through a {@link DataOutputStream}, read (after {@link #reset} or on
 * receipt) through a {@link DataInputStream}, so the encoding is Java's big-endian DataOutput.
 */
public class WarrenBytesMessage extends WarrenMessage implements BytesMessage {
  private ByteArrayOutputStream written = new ByteArrayOutputStream();
  private DataOutputStream out = new DataOutputStream(written);
  private byte[] body;
  private DataInputStream in;

  /** Sets the body of a received message. */
  public void setBody(byte[] body) {
    this.body = body;
    this.written = null;
    this.out = null;
  }

  @Override
  protected void onReceived() {
    if (body == null) {
      body = written.toByteArray();
    }
    written = null;
    out = null;
    in = new DataInputStream(new ByteArrayInputStream(body));
  }

  @Override
  public void reset() {
    bodyReadOnly = true;
    onReceived();
  }

  @Override
  public void clearBody() throws JMSException {
    super.clearBody();
    body = null;
    in = null;
    written = new ByteArrayOutputStream();
    out = new DataOutputStream(written);
  }

  private DataInputStream in() throws MessageNotReadableException {
    if (in == null) {
      throw new MessageNotReadableException("the message is in write-only mode: call reset()");
    }
    return in;
  }

  private DataOutputStream out() throws JMSException {
    checkWritable();
    return out;
  }

  @Override
  public long getBodyLength() throws JMSException {
    in();
    return body.length;
  }

  private interface Read<T> {
    T read(DataInputStream in) throws IOException;
  }

  private <T> T read(Read<T> r) throws JMSException {
    DataInputStream data = in();
    try {
      return r.read(data);
    } catch (EOFException e) {
      throw new MessageEOFException("end of the message body");
    } catch (IOException e) {
      MessageFormatException failure = new MessageFormatException(e.toString());
      failure.setLinkedException(e);
      throw failure;
    }
  }

  private interface Write {
    void write(DataOutputStream out) throws IOException;
  }

  private void write(Write w) throws JMSException {
    DataOutputStream data = out();
    try {
      w.write(data);
    } catch (IOException e) {
      JMSException failure = new JMSException(e.toString());
      failure.setLinkedException(e);
      throw failure;
    }
  }

  @Override
  public boolean readBoolean() throws JMSException {
    return read(DataInputStream::readBoolean);
  }

  @Override
  public byte readByte() throws JMSException {
    return read(DataInputStream::readByte);
  }

  @Override
  public int readUnsignedByte() throws JMSException {
    return read(DataInputStream::readUnsignedByte);
  }

  @Override
  public short readShort() throws JMSException {
    return read(DataInputStream::readShort);
  }

  @Override
  public int readUnsignedShort() throws JMSException {
    return read(DataInputStream::readUnsignedShort);
  }

  @Override
  public char readChar() throws JMSException {
    return read(DataInputStream::readChar);
  }

  @Override
  public int readInt() throws JMSException {
    return read(DataInputStream::readInt);
  }

  @Override
  public long readLong() throws JMSException {
    return read(DataInputStream::readLong);
  }

  @Override
  public float readFloat() throws JMSException {
    return read(DataInputStream::readFloat);
  }

  @Override
  public double readDouble() throws JMSException {
    return read(DataInputStream::readDouble);
  }

  @Override
  public String readUTF() throws JMSException {
    return read(d -> d.readUTF());
  }

  @Override
  public int readBytes(byte[] value) throws JMSException {
    return readBytes(value, value.length);
  }

  @Override
  public int readBytes(byte[] value, int length) throws JMSException {
    if (length > value.length || length < 0) {
      throw new IndexOutOfBoundsException("length " + length);
    }
    int n = read(d -> d.read(value, 0, length));
    return length == 0 ? 0 : n;
  }

  @Override
  public void writeBoolean(boolean value) throws JMSException {
    write(o -> o.writeBoolean(value));
  }

  @Override
  public void writeByte(byte value) throws JMSException {
    write(o -> o.writeByte(value));
  }

  @Override
  public void writeShort(short value) throws JMSException {
    write(o -> o.writeShort(value));
  }

  @Override
  public void writeChar(char value) throws JMSException {
    write(o -> o.writeChar(value));
  }

  @Override
  public void writeInt(int value) throws JMSException {
    write(o -> o.writeInt(value));
  }

  @Override
  public void writeLong(long value) throws JMSException {
    write(o -> o.writeLong(value));
  }

  @Override
  public void writeFloat(float value) throws JMSException {
    write(o -> o.writeFloat(value));
  }

  @Override
  public void writeDouble(double value) throws JMSException {
    write(o -> o.writeDouble(value));
  }

  @Override
  public void writeUTF(String value) throws JMSException {
    write(o -> o.writeUTF(value));
  }

  @Override
  public void writeBytes(byte[] value) throws JMSException {
    write(o -> o.write(value));
  }

  @Override
  public void writeBytes(byte[] value, int offset, int length) throws JMSException {
    write(o -> o.write(value, offset, length));
  }

  @Override
  public void writeObject(Object value) throws JMSException {
    if (value == null) {
      throw new NullPointerException("writeObject(null)");
    }
    if (value instanceof Boolean v) {
      writeBoolean(v);
    } else if (value instanceof Byte v) {
      writeByte(v);
    } else if (value instanceof Short v) {
      writeShort(v);
    } else if (value instanceof Character v) {
      writeChar(v);
    } else if (value instanceof Integer v) {
      writeInt(v);
    } else if (value instanceof Long v) {
      writeLong(v);
    } else if (value instanceof Float v) {
      writeFloat(v);
    } else if (value instanceof Double v) {
      writeDouble(v);
    } else if (value instanceof String v) {
      writeUTF(v);
    } else if (value instanceof byte[] v) {
      writeBytes(v);
    } else {
      throw new MessageFormatException("cannot write a " + value.getClass() + " to a body");
    }
  }

  private byte[] current() {
    return body != null ? body : written.toByteArray();
  }

  @Override
  protected Object bodyValue() {
    byte[] b = current();
    return b.length == 0 ? null : b.clone();
  }

  @Override
  public byte[] encodeBody() {
    return current();
  }

  @Override
  public String bodyKind() {
    return "bytes";
  }
}
