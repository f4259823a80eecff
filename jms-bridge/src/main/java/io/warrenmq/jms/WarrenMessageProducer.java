package io.warrenmq.jms;

import jakarta.jms.CompletionListener;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Queue;
import jakarta.jms.QueueSender;
import jakarta.jms.Topic;
import jakarta.jms.TopicPublisher;

/** A JMS producer; the sending itself is its session's ({@link SessionPublisher}). */
public class WarrenMessageProducer implements QueueSender, TopicPublisher {

  /** The per-send settings of a producer. */
  record Options(
      int deliveryMode,
      int priority,
      long timeToLive,
      long deliveryDelay,
      boolean disableMessageId,
      boolean disableTimestamp) {}

  private final WarrenSession session;
  private final WarrenDestination destination;
  private int deliveryMode = DeliveryMode.PERSISTENT;
  private int priority = Message.DEFAULT_PRIORITY;
  private long timeToLive = Message.DEFAULT_TIME_TO_LIVE;
  private long deliveryDelay = Message.DEFAULT_DELIVERY_DELAY;
  private boolean disableMessageId;
  private boolean disableTimestamp;
  private volatile boolean closed;

  WarrenMessageProducer(WarrenSession session, WarrenDestination destination) {
    this.session = session;
    this.destination = destination;
  }

  private void checkOpen() throws IllegalStateException {
    if (closed) {
      throw JmsErrors.closed("producer");
    }
    session.checkOpen();
  }

  @Override
  public void setDisableMessageID(boolean value) throws JMSException {
    checkOpen();
    disableMessageId = value;
  }

  @Override
  public boolean getDisableMessageID() throws JMSException {
    checkOpen();
    return disableMessageId;
  }

  @Override
  public void setDisableMessageTimestamp(boolean value) throws JMSException {
    checkOpen();
    disableTimestamp = value;
  }

  @Override
  public boolean getDisableMessageTimestamp() throws JMSException {
    checkOpen();
    return disableTimestamp;
  }

  @Override
  public void setDeliveryMode(int deliveryMode) throws JMSException {
    checkOpen();
    checkDeliveryMode(deliveryMode);
    this.deliveryMode = deliveryMode;
  }

  @Override
  public int getDeliveryMode() throws JMSException {
    checkOpen();
    return deliveryMode;
  }

  @Override
  public void setPriority(int priority) throws JMSException {
    checkOpen();
    checkPriority(priority);
    this.priority = priority;
  }

  @Override
  public int getPriority() throws JMSException {
    checkOpen();
    return priority;
  }

  @Override
  public void setTimeToLive(long timeToLive) throws JMSException {
    checkOpen();
    this.timeToLive = timeToLive;
  }

  @Override
  public long getTimeToLive() throws JMSException {
    checkOpen();
    return timeToLive;
  }

  /**
   * Sets the delivery delay. The message goes to the broker at once with its delivery time; the
   * receiving consumer holds it back until then (see {@link WarrenMessageConsumer}).
   */
  @Override
  public void setDeliveryDelay(long deliveryDelay) throws JMSException {
    checkOpen();
    SessionPublisher.checkDeliveryDelay(deliveryDelay);
    this.deliveryDelay = deliveryDelay;
  }

  @Override
  public long getDeliveryDelay() throws JMSException {
    checkOpen();
    return deliveryDelay;
  }

  @Override
  public Destination getDestination() throws JMSException {
    checkOpen();
    return destination;
  }

  @Override
  public Queue getQueue() throws JMSException {
    checkOpen();
    return destination instanceof Queue q ? q : null;
  }

  @Override
  public Topic getTopic() throws JMSException {
    checkOpen();
    return destination instanceof Topic t ? t : null;
  }

  @Override
  public void close() {
    closed = true;
    session.producerClosed(this);
  }

  private Options options(int mode, int prio, long ttl) throws JMSException {
    checkDeliveryMode(mode);
    checkPriority(prio);
    return new Options(mode, prio, ttl, deliveryDelay, disableMessageId, disableTimestamp);
  }

  static void checkDeliveryMode(int mode) throws JMSException {
    if (mode != DeliveryMode.PERSISTENT && mode != DeliveryMode.NON_PERSISTENT) {
      throw new JMSException("unknown delivery mode " + mode);
    }
  }

  static void checkPriority(int priority) throws JMSException {
    if (priority < 0 || priority > 9) {
      throw new JMSException("priority must be 0-9, not " + priority);
    }
  }

  private WarrenDestination own() throws JMSException {
    if (destination == null) {
      throw new UnsupportedOperationException("this producer has no destination: name one");
    }
    return destination;
  }

  private WarrenDestination given(Destination d) throws JMSException {
    if (destination != null) {
      throw new UnsupportedOperationException("this producer has a destination of its own");
    }
    if (d == null) {
      throw new InvalidDestinationException("no destination");
    }
    return WarrenSession.destination(d);
  }

  private void send(WarrenDestination d, Message m, Options o, CompletionListener l)
      throws JMSException {
    if (m == null) {
      throw new jakarta.jms.MessageFormatException("no message to send");
    }
    session.send(d, m, o, l);
  }

  @Override
  public void send(Message message) throws JMSException {
    checkOpen();
    send(own(), message, options(deliveryMode, priority, timeToLive), null);
  }

  @Override
  public void send(Message message, int deliveryMode, int priority, long timeToLive)
      throws JMSException {
    checkOpen();
    send(own(), message, options(deliveryMode, priority, timeToLive), null);
  }

  @Override
  public void send(Destination destination, Message message) throws JMSException {
    checkOpen();
    send(given(destination), message, options(deliveryMode, priority, timeToLive), null);
  }

  @Override
  public void send(
      Destination destination, Message message, int deliveryMode, int priority, long timeToLive)
      throws JMSException {
    checkOpen();
    send(given(destination), message, options(deliveryMode, priority, timeToLive), null);
  }

  @Override
  public void send(Message message, CompletionListener listener) throws JMSException {
    checkOpen();
    checkListener(listener);
    send(own(), message, options(deliveryMode, priority, timeToLive), listener);
  }

  @Override
  public void send(
      Message message, int deliveryMode, int priority, long timeToLive, CompletionListener listener)
      throws JMSException {
    checkOpen();
    checkListener(listener);
    send(own(), message, options(deliveryMode, priority, timeToLive), listener);
  }

  @Override
  public void send(Destination destination, Message message, CompletionListener listener)
      throws JMSException {
    checkOpen();
    checkListener(listener);
    send(given(destination), message, options(deliveryMode, priority, timeToLive), listener);
  }

  @Override
  public void send(
      Destination destination,
      Message message,
      int deliveryMode,
      int priority,
      long timeToLive,
      CompletionListener listener)
      throws JMSException {
    checkOpen();
    checkListener(listener);
    send(given(destination), message, options(deliveryMode, priority, timeToLive), listener);
  }

  private static void checkListener(CompletionListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException("a CompletionListener is required");
    }
  }

  @Override
  public void send(Queue queue, Message message) throws JMSException {
    send((Destination) queue, message);
  }

  @Override
  public void send(Queue queue, Message message, int deliveryMode, int priority, long timeToLive)
      throws JMSException {
    send((Destination) queue, message, deliveryMode, priority, timeToLive);
  }

  @Override
  public void publish(Message message) throws JMSException {
    send(message);
  }

  @Override
  public void publish(Message message, int deliveryMode, int priority, long timeToLive)
      throws JMSException {
    send(message, deliveryMode, priority, timeToLive);
  }

  @Override
  public void publish(Topic topic, Message message) throws JMSException {
    send(topic, message);
  }

  @Override
  public void publish(Topic topic, Message message, int deliveryMode, int priority, long timeToLive)
      throws JMSException {
    send(topic, message, deliveryMode, priority, timeToLive);
  }
}
