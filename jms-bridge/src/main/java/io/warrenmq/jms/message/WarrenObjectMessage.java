package io.warrenmq.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.ObjectMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.List;

/**
 * An ObjectMessage. The object is serialized when set, so later changes to it do not reach the
 * message (§3.13). Deserialization accepts only classes in the trusted packages the connection
 * factory names (and arrays and primitives); anything else is refused with a {@link
 * MessageFormatException} before any of its code runs.
 */
public class WarrenObjectMessage extends WarrenMessage implements ObjectMessage {
  /** Packages trusted when the factory names none: the JDK's plain value types. */
  public static final List<String> DEFAULT_TRUSTED =
      List.of("java.lang", "java.util", "java.math", "java.time");

  private byte[] serialized;
  private List<String> trustedPackages = DEFAULT_TRUSTED;

  public void trustPackages(List<String> packages) {
    this.trustedPackages = List.copyOf(packages);
  }

  /** Sets the serialized form directly, for a received message. */
  public void setSerialized(byte[] serialized) {
    this.serialized = serialized;
  }

  @Override
  public void setObject(Serializable object) throws JMSException {
    checkWritable();
    if (object == null) {
      serialized = null;
      return;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(object);
    } catch (IOException e) {
      MessageFormatException failure = new MessageFormatException("cannot serialize: " + e);
      failure.setLinkedException(e);
      throw failure;
    }
    serialized = bytes.toByteArray();
  }

  @Override
  public Serializable getObject() throws JMSException {
    if (serialized == null || serialized.length == 0) {
      return null;
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(serialized))) {
      in.setObjectInputFilter(this::check);
      return (Serializable) in.readObject();
    } catch (IOException | ClassNotFoundException | ClassCastException e) {
      MessageFormatException failure = new MessageFormatException("cannot deserialize: " + e);
      failure.setLinkedException(e);
      throw failure;
    }
  }

  private ObjectInputFilter.Status check(ObjectInputFilter.FilterInfo info) {
    Class<?> c = info.serialClass();
    if (c == null) {
      return ObjectInputFilter.Status.UNDECIDED;
    }
    while (c.isArray()) {
      c = c.getComponentType();
    }
    if (c.isPrimitive()) {
      return ObjectInputFilter.Status.ALLOWED;
    }
    String name = c.getName();
    for (String p : trustedPackages) {
      if (name.startsWith(p.endsWith(".") ? p : p + ".")) {
        return ObjectInputFilter.Status.ALLOWED;
      }
    }
    return ObjectInputFilter.Status.REJECTED;
  }

  @Override
  public void clearBody() throws JMSException {
    super.clearBody();
    serialized = null;
  }

  @Override
  protected Object bodyValue() throws JMSException {
    return getObject();
  }

  @Override
  @SuppressWarnings("rawtypes")
  public boolean isBodyAssignableTo(Class c) throws JMSException {
    if (serialized == null) {
      return true;
    }
    return c.isInstance(getObject());
  }

  @Override
  public byte[] encodeBody() {
    return serialized == null ? new byte[0] : serialized;
  }

  @Override
  public String bodyKind() {
    return "object";
  }
}
