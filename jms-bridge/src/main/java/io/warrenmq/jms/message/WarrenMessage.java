package io.warrenmq.jms.message;

import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A plain JMS message: the header fields, the properties with their type conversions, and the
 * read-only rules of a received message (Jakarta Messaging 3.1 §3.5 and §3.11). Subclasses add a
 * body.
 */
public class WarrenMessage implements Message {

  /** What {@link #acknowledge} does; set on received messages of CLIENT_ACKNOWLEDGE sessions. */
  public interface Acknowledger {
    void acknowledge() throws JMSException;
  }

  private static final Set<String> RESERVED =
      Set.of("NULL", "TRUE", "FALSE", "NOT", "AND", "OR", "BETWEEN", "LIKE", "IN", "IS", "ESCAPE");

  private String messageId;
  private long timestamp;
  private String correlationId;
  private Destination replyTo;
  private Destination destination;
  private int deliveryMode = DeliveryMode.PERSISTENT;
  private boolean redelivered;
  private String type;
  private long expiration;
  private long deliveryTime;
  private int priority = Message.DEFAULT_PRIORITY;
  private final Map<String, Object> properties = new LinkedHashMap<>();
  private boolean propertiesReadOnly;
  protected boolean bodyReadOnly;
  private Acknowledger acknowledger;

  /** Marks the message as received: properties and body become read-only (§3.11). */
  public void markReceived(Acknowledger acknowledger) {
    this.propertiesReadOnly = true;
    this.bodyReadOnly = true;
    this.acknowledger = acknowledger;
    onReceived();
  }

  /** Lets a body prepare for reading (a BytesMessage or StreamMessage resets). */
  protected void onReceived() {}

  /** The properties as stored, for the codec. */
  public Map<String, Object> propertyMap() {
    return properties;
  }

  /** Sets a property bypassing the read-only rule, for the codec and for JMSX properties. */
  public void putProperty(String name, Object value) {
    properties.put(name, value);
  }

  @Override
  public String getJMSMessageID() {
    return messageId;
  }

  @Override
  public void setJMSMessageID(String id) {
    this.messageId = id;
  }

  @Override
  public long getJMSTimestamp() {
    return timestamp;
  }

  @Override
  public void setJMSTimestamp(long timestamp) {
    this.timestamp = timestamp;
  }

  @Override
  public byte[] getJMSCorrelationIDAsBytes() {
    return correlationId == null ? null : correlationId.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void setJMSCorrelationIDAsBytes(byte[] correlationId) {
    this.correlationId =
        correlationId == null ? null : new String(correlationId, StandardCharsets.ISO_8859_1);
  }

  @Override
  public void setJMSCorrelationID(String correlationId) {
    this.correlationId = correlationId;
  }

  @Override
  public String getJMSCorrelationID() {
    return correlationId;
  }

  @Override
  public Destination getJMSReplyTo() {
    return replyTo;
  }

  @Override
  public void setJMSReplyTo(Destination replyTo) {
    this.replyTo = replyTo;
  }

  @Override
  public Destination getJMSDestination() {
    return destination;
  }

  @Override
  public void setJMSDestination(Destination destination) {
    this.destination = destination;
  }

  @Override
  public int getJMSDeliveryMode() {
    return deliveryMode;
  }

  @Override
  public void setJMSDeliveryMode(int deliveryMode) {
    this.deliveryMode = deliveryMode;
  }

  @Override
  public boolean getJMSRedelivered() {
    return redelivered;
  }

  @Override
  public void setJMSRedelivered(boolean redelivered) {
    this.redelivered = redelivered;
  }

  @Override
  public String getJMSType() {
    return type;
  }

  @Override
  public void setJMSType(String type) {
    this.type = type;
  }

  @Override
  public long getJMSExpiration() {
    return expiration;
  }

  @Override
  public void setJMSExpiration(long expiration) {
    this.expiration = expiration;
  }

  @Override
  public long getJMSDeliveryTime() {
    return deliveryTime;
  }

  @Override
  public void setJMSDeliveryTime(long deliveryTime) {
    this.deliveryTime = deliveryTime;
  }

  @Override
  public int getJMSPriority() {
    return priority;
  }

  @Override
  public void setJMSPriority(int priority) {
    this.priority = priority;
  }

  @Override
  public void clearProperties() {
    properties.clear();
    propertiesReadOnly = false;
  }

  @Override
  public boolean propertyExists(String name) {
    return properties.containsKey(name);
  }

  @Override
  public boolean getBooleanProperty(String name) throws JMSException {
    return TypedValues.toBoolean(properties.get(name));
  }

  @Override
  public byte getByteProperty(String name) throws JMSException {
    return TypedValues.toByte(properties.get(name));
  }

  @Override
  public short getShortProperty(String name) throws JMSException {
    return TypedValues.toShort(properties.get(name));
  }

  @Override
  public int getIntProperty(String name) throws JMSException {
    return TypedValues.toInt(properties.get(name));
  }

  @Override
  public long getLongProperty(String name) throws JMSException {
    return TypedValues.toLong(properties.get(name));
  }

  @Override
  public float getFloatProperty(String name) throws JMSException {
    Object v = properties.get(name);
    if (v == null) {
      throw new NumberFormatException("no property " + name);
    }
    return TypedValues.toFloat(v);
  }

  @Override
  public double getDoubleProperty(String name) throws JMSException {
    Object v = properties.get(name);
    if (v == null) {
      throw new NumberFormatException("no property " + name);
    }
    return TypedValues.toDouble(v);
  }

  @Override
  public String getStringProperty(String name) throws JMSException {
    return TypedValues.toStringValue(properties.get(name));
  }

  @Override
  public Object getObjectProperty(String name) {
    return properties.get(name);
  }

  @Override
  public Enumeration<String> getPropertyNames() {
    return Collections.enumeration(properties.keySet());
  }

  @Override
  public void setBooleanProperty(String name, boolean value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setByteProperty(String name, byte value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setShortProperty(String name, short value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setIntProperty(String name, int value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setLongProperty(String name, long value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setFloatProperty(String name, float value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setDoubleProperty(String name, double value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setStringProperty(String name, String value) throws JMSException {
    setProperty(name, value);
  }

  @Override
  public void setObjectProperty(String name, Object value) throws JMSException {
    if (value != null && !TypedValues.isPropertyValue(value)) {
      throw new MessageFormatException(
          "a property value must be a boxed primitive or a String, not " + value.getClass());
    }
    setProperty(name, value);
  }

  private void setProperty(String name, Object value) throws JMSException {
    checkPropertyName(name);
    if (propertiesReadOnly) {
      throw new MessageNotWriteableException("the properties of a received message are read-only");
    }
    properties.put(name, value);
  }

  /** A property name is a Java identifier that is not a selector keyword (§3.5.1). */
  public static void checkPropertyName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a property name must not be null or empty");
    }
    if (!Character.isJavaIdentifierStart(name.charAt(0))
        || !name.chars().skip(1).allMatch(Character::isJavaIdentifierPart)
        || RESERVED.contains(name.toUpperCase(java.util.Locale.ROOT))) {
      throw new IllegalArgumentException("not a valid property name: " + name);
    }
  }

  @Override
  public void acknowledge() throws JMSException {
    if (acknowledger != null) {
      acknowledger.acknowledge();
    }
  }

  @Override
  public void clearBody() throws JMSException {
    bodyReadOnly = false;
  }

  protected void checkWritable() throws MessageNotWriteableException {
    if (bodyReadOnly) {
      throw new MessageNotWriteableException("the body of a received message is read-only");
    }
  }

  @Override
  public <T> T getBody(Class<T> c) throws JMSException {
    if (!isBodyAssignableTo(c)) {
      throw new MessageFormatException("the body cannot be read as " + c.getName());
    }
    return c.cast(bodyValue());
  }

  @Override
  @SuppressWarnings("rawtypes")
  public boolean isBodyAssignableTo(Class c) throws JMSException {
    Object body = bodyValue();
    return body == null || c.isInstance(body);
  }

  /** The body as {@link #getBody} returns it; null when there is none. */
  protected Object bodyValue() throws JMSException {
    return null;
  }

  /** The AMQP body of this message, and the value of its {@code x-jms-type} header. */
  public byte[] encodeBody() throws JMSException {
    return new byte[0];
  }

  public String bodyKind() {
    return "message";
  }

  static IllegalStateException notReadable() {
    return new IllegalStateException("not readable");
  }
}
