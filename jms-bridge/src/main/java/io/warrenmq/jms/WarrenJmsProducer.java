package io.warrenmq.jms;

import io.warrenmq.jms.message.TypedValues;
import jakarta.jms.BytesMessage;
import jakarta.jms.CompletionListener;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.JMSProducer;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatRuntimeException;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The simplified API's producer: settings and properties that it applies to each message it sends,
 * through an anonymous producer of the context's session.
 */
final class WarrenJmsProducer implements JMSProducer {
  private final jakarta.jms.Session session;
  private jakarta.jms.MessageProducer anonymous;
  private final Map<String, Object> properties = new LinkedHashMap<>();
  private int deliveryMode = DeliveryMode.PERSISTENT;
  private int priority = Message.DEFAULT_PRIORITY;
  private long timeToLive;
  private long deliveryDelay;
  private boolean disableMessageId;
  private boolean disableTimestamp;
  private CompletionListener async;
  private String correlationId;
  private String type;
  private Destination replyTo;

  WarrenJmsProducer(jakarta.jms.Session session) {
    this.session = session;
  }

  @Override
  public JMSProducer send(Destination destination, Message message) {
    try {
      if (message == null) {
        throw new MessageFormatRuntimeException("no message to send");
      }
      for (Map.Entry<String, Object> e : properties.entrySet()) {
        message.setObjectProperty(e.getKey(), e.getValue());
      }
      if (correlationId != null) {
        message.setJMSCorrelationID(correlationId);
      }
      if (type != null) {
        message.setJMSType(type);
      }
      if (replyTo != null) {
        message.setJMSReplyTo(replyTo);
      }
      if (destination == null) {
        throw new jakarta.jms.InvalidDestinationRuntimeException("no destination");
      }
      if (!(session instanceof WarrenSession own)) {
        return sendThroughHandle(destination, message);
      }
      WarrenDestination d = WarrenSession.destination(destination);
      own.checkOpen();
      own.publisher.prepare(d);
      own.send(
          d,
          message,
          new WarrenMessageProducer.Options(
              deliveryMode,
              priority,
              timeToLive,
              deliveryDelay,
              disableMessageId,
              disableTimestamp),
          async);
      return this;
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  /**
   * A session that wraps this provider's (a resource adapter's handle): through an anonymous
   * producer of it, which takes the handle's destinations and container rules.
   */
  private JMSProducer sendThroughHandle(Destination destination, Message message)
      throws JMSException {
    if (anonymous == null) {
      anonymous = session.createProducer(null);
    }
    anonymous.setDisableMessageID(disableMessageId);
    anonymous.setDisableMessageTimestamp(disableTimestamp);
    anonymous.setDeliveryDelay(deliveryDelay);
    if (async != null) {
      anonymous.send(destination, message, deliveryMode, priority, timeToLive, async);
    } else {
      anonymous.send(destination, message, deliveryMode, priority, timeToLive);
    }
    return this;
  }

  @Override
  public JMSProducer send(Destination destination, String body) {
    try {
      return send(destination, session.createTextMessage(body));
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public JMSProducer send(Destination destination, Map<String, Object> body) {
    try {
      MapMessage m = session.createMapMessage();
      if (body != null) {
        for (Map.Entry<String, Object> e : body.entrySet()) {
          m.setObject(e.getKey(), e.getValue());
        }
      }
      return send(destination, m);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public JMSProducer send(Destination destination, byte[] body) {
    try {
      BytesMessage m = session.createBytesMessage();
      if (body != null) {
        m.writeBytes(body);
      }
      return send(destination, m);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public JMSProducer send(Destination destination, Serializable body) {
    try {
      return send(destination, session.createObjectMessage(body));
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public JMSProducer setDisableMessageID(boolean value) {
    disableMessageId = value;
    return this;
  }

  @Override
  public boolean getDisableMessageID() {
    return disableMessageId;
  }

  @Override
  public JMSProducer setDisableMessageTimestamp(boolean value) {
    disableTimestamp = value;
    return this;
  }

  @Override
  public boolean getDisableMessageTimestamp() {
    return disableTimestamp;
  }

  @Override
  public JMSProducer setDeliveryMode(int deliveryMode) {
    try {
      WarrenMessageProducer.checkDeliveryMode(deliveryMode);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
    this.deliveryMode = deliveryMode;
    return this;
  }

  @Override
  public int getDeliveryMode() {
    return deliveryMode;
  }

  @Override
  public JMSProducer setPriority(int priority) {
    try {
      WarrenMessageProducer.checkPriority(priority);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
    this.priority = priority;
    return this;
  }

  @Override
  public int getPriority() {
    return priority;
  }

  @Override
  public JMSProducer setTimeToLive(long timeToLive) {
    this.timeToLive = timeToLive;
    return this;
  }

  @Override
  public long getTimeToLive() {
    return timeToLive;
  }

  @Override
  public JMSProducer setDeliveryDelay(long deliveryDelay) {
    try {
      SessionPublisher.checkDeliveryDelay(deliveryDelay);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
    this.deliveryDelay = deliveryDelay;
    return this;
  }

  @Override
  public long getDeliveryDelay() {
    return deliveryDelay;
  }

  @Override
  public JMSProducer setAsync(CompletionListener completionListener) {
    this.async = completionListener;
    return this;
  }

  @Override
  public CompletionListener getAsync() {
    return async;
  }

  private JMSProducer property(String name, Object value) {
    io.warrenmq.jms.message.WarrenMessage.checkPropertyName(name);
    if (value != null && !TypedValues.isPropertyValue(value)) {
      throw new MessageFormatRuntimeException("not a property value: " + value.getClass());
    }
    properties.put(name, value);
    return this;
  }

  @Override
  public JMSProducer setProperty(String name, boolean value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, byte value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, short value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, int value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, long value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, float value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, double value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, String value) {
    return property(name, value);
  }

  @Override
  public JMSProducer setProperty(String name, Object value) {
    return property(name, value);
  }

  @Override
  public JMSProducer clearProperties() {
    properties.clear();
    return this;
  }

  @Override
  public boolean propertyExists(String name) {
    return properties.containsKey(name);
  }

  private interface Conversion<T> {
    T convert(Object v) throws JMSException;
  }

  private <T> T get(String name, Conversion<T> c) {
    try {
      return c.convert(properties.get(name));
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public boolean getBooleanProperty(String name) {
    return get(name, TypedValues::toBoolean);
  }

  @Override
  public byte getByteProperty(String name) {
    return get(name, TypedValues::toByte);
  }

  @Override
  public short getShortProperty(String name) {
    return get(name, TypedValues::toShort);
  }

  @Override
  public int getIntProperty(String name) {
    return get(name, TypedValues::toInt);
  }

  @Override
  public long getLongProperty(String name) {
    return get(name, TypedValues::toLong);
  }

  @Override
  public float getFloatProperty(String name) {
    return get(name, TypedValues::toFloat);
  }

  @Override
  public double getDoubleProperty(String name) {
    return get(name, TypedValues::toDouble);
  }

  @Override
  public String getStringProperty(String name) {
    return get(name, TypedValues::toStringValue);
  }

  @Override
  public Object getObjectProperty(String name) {
    return properties.get(name);
  }

  @Override
  public Set<String> getPropertyNames() {
    return Set.copyOf(properties.keySet());
  }

  @Override
  public JMSProducer setJMSCorrelationIDAsBytes(byte[] correlationId) {
    this.correlationId = new String(correlationId, java.nio.charset.StandardCharsets.ISO_8859_1);
    return this;
  }

  @Override
  public byte[] getJMSCorrelationIDAsBytes() {
    return correlationId == null
        ? null
        : correlationId.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  @Override
  public JMSProducer setJMSCorrelationID(String correlationId) {
    this.correlationId = correlationId;
    return this;
  }

  @Override
  public String getJMSCorrelationID() {
    return correlationId;
  }

  @Override
  public JMSProducer setJMSType(String type) {
    this.type = type;
    return this;
  }

  @Override
  public String getJMSType() {
    return type;
  }

  @Override
  public JMSProducer setJMSReplyTo(Destination replyTo) {
    this.replyTo = replyTo;
    return this;
  }

  @Override
  public Destination getJMSReplyTo() {
    return replyTo;
  }

  static JMSRuntimeException unchecked(JMSException e) {
    return JmsErrors.runtime(e);
  }
}
