package io.warrenmq.jms;

import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import io.warrenmq.jms.message.WarrenMessage;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.Queue;
import jakarta.jms.QueueReceiver;
import jakarta.jms.Topic;
import jakarta.jms.TopicSubscriber;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JMS consumer: one AMQP consumer (basic.consume with the factory's prefetch) on its session's
 * channel. Deliveries wait in {@link #buffer} until receive takes them or, with a listener, the
 * session's listener thread does.
 *
 * <p>Delivery delay: a message whose delivery time is still ahead is held, unacknowledged, on the
 * connection's timer and put back in the buffer when it is due, so it is never delivered early and
 * stays safe in the broker meanwhile. Held messages take prefetch room: a consumer holding as many
 * delayed messages as its prefetch receives nothing else until the first is due.
 */
public class WarrenMessageConsumer implements QueueReceiver, TopicSubscriber {
  /** Put in the buffer to wake a blocked receive when the consumer closes. */
  private static final LinkDelivery CLOSED = new LinkDelivery(-1, false, "", "", null);

  private final WarrenSession session;
  private final WarrenDestination destination;
  private final Subscriptions.Target target;
  private final MessageSelector selector;
  private final boolean noLocal;
  private final String subscription;
  private final LinkedBlockingQueue<LinkDelivery> buffer = new LinkedBlockingQueue<>();
  private final java.util.Map<LinkDelivery, java.util.concurrent.Future<?>> held =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile MessageListener listener;
  private volatile boolean closed;
  private volatile String consumerTag;

  WarrenMessageConsumer(
      WarrenSession session,
      WarrenDestination destination,
      Subscriptions.Target target,
      MessageSelector selector,
      boolean noLocal,
      String subscription) {
    this.session = session;
    this.destination = destination;
    this.target = target;
    this.selector = selector;
    this.noLocal = noLocal;
    this.subscription = subscription;
  }

  void start() throws JMSException {
    try {
      consumerTag =
          session.link.consume(
              target.queue(),
              session.connection.prefetch(),
              target.exclusive(),
              brokerSelects() ? selector.text() : null,
              new LinkSession.DeliveryHandler() {
                @Override
                public void handle(LinkDelivery delivery) {
                  arrived(delivery);
                }
              });
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot consume from " + destination, e);
    }
  }

  private void arrived(LinkDelivery delivery) {
    buffer.add(delivery);
    if (listener != null) {
      session.delivery.ready(this);
    }
  }

  /** Holds back a delivery until {@code deliveryTime}, then delivers it as if it just arrived. */
  void holdUntil(LinkDelivery d, long deliveryTime) {
    long delay = Math.max(0, deliveryTime - System.currentTimeMillis());
    synchronized (held) {
      if (closed) {
        return;
      }
      held.put(
          d,
          session
              .connection
              .timer()
              .schedule(
                  () -> {
                    if (held.remove(d) != null) {
                      arrived(d);
                    }
                  },
                  delay,
                  TimeUnit.MILLISECONDS));
    }
  }

  WarrenDestination destination() {
    return destination;
  }

  String queue() {
    return target.queue();
  }

  /**
   * A queue consumer's selector is applied by the broker, so that what does not match stays for
   * other consumers; a subscription's queue is its own, and the provider selects from it.
   */
  private boolean brokerSelects() {
    return selector != null && destination instanceof jakarta.jms.Queue;
  }

  /** The selector this provider applies to deliveries, or null. */
  MessageSelector providerSelector() {
    return brokerSelects() ? null : selector;
  }

  boolean noLocal() {
    return noLocal;
  }

  /**
   * Stops the AMQP consumer for a recover or rollback: once the cancel returns, everything the
   * broker sent it is in {@link #buffer}, so nothing still in flight can overtake the requeued
   * messages.
   */
  void suspend() throws LinkException {
    if (!closed && consumerTag != null) {
      session.link.cancel(consumerTag);
      consumerTag = null;
    }
  }

  /** Consumes again after {@link #suspend}. */
  void resume() throws JMSException {
    if (!closed && consumerTag == null) {
      start();
    }
  }

  /** Takes the prefetched deliveries not yet handed over, for recover and rollback. */
  List<LinkDelivery> drainBuffer() {
    List<LinkDelivery> drained = new ArrayList<>();
    buffer.drainTo(drained);
    drained.removeIf(d -> d == CLOSED);
    if (closed) {
      buffer.add(CLOSED);
    }
    return drained;
  }

  private void checkOpen() throws IllegalStateException {
    if (closed) {
      throw JmsErrors.closed("consumer");
    }
    session.checkOpen();
  }

  @Override
  public String getMessageSelector() throws JMSException {
    checkOpen();
    return selector == null ? null : selector.text();
  }

  @Override
  public MessageListener getMessageListener() throws JMSException {
    checkOpen();
    return listener;
  }

  @Override
  public void setMessageListener(MessageListener listener) throws JMSException {
    checkOpen();
    this.listener = listener;
    if (listener != null) {
      for (int i = buffer.size(); i > 0; i--) {
        session.delivery.ready(this);
      }
    }
  }

  @Override
  public Message receive() throws JMSException {
    return receive(0L, false, null);
  }

  @Override
  public Message receive(long timeout) throws JMSException {
    return receive(timeout, false, null);
  }

  @Override
  public Message receiveNoWait() throws JMSException {
    return receive(0L, true, null);
  }

  /**
   * JMSConsumer.receiveBody: a message whose body is not a {@code bodyType} throws {@link
   * jakarta.jms.MessageFormatException} and, in AUTO and DUPS_OK sessions, is not acknowledged but
   * delivered again.
   */
  <T> T receiveBody(Class<T> bodyType, long timeoutMillis, boolean noWait) throws JMSException {
    Message m = receive(timeoutMillis, noWait, bodyType);
    return m == null ? null : m.getBody(bodyType);
  }

  private Message receive(long timeoutMillis, boolean noWait, Class<?> bodyType)
      throws JMSException {
    checkOpen();
    if (listener != null) {
      throw new IllegalStateException("receive on a consumer that has a message listener");
    }
    long deadline =
        noWait || timeoutMillis <= 0
            ? 0
            : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    try {
      while (!closed) {
        LinkDelivery d;
        if (noWait) {
          if (!session.connection.isStarted()) {
            return null;
          }
          d = buffer.poll();
        } else {
          if (!session.connection.awaitStarted(deadline)) {
            return null;
          }
          d =
              deadline == 0
                  ? buffer.take()
                  : buffer.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        if (d == null || d == CLOSED) {
          if (d == CLOSED) {
            buffer.add(CLOSED);
          }
          return null;
        }
        WarrenMessage m = session.delivery.received(this, d);
        if (m != null && bodyType != null && !readableAs(m, bodyType)) {
          session.delivery.listenerFailed(
              d.deliveryTag(),
              m.getJMSMessageID(),
              m.getObjectProperty("JMSXDeliveryCount") instanceof Integer i ? i : 1);
          throw new jakarta.jms.MessageFormatException(
              "the message body cannot be read as " + bodyType.getName());
        }
        if (m != null) {
          session.delivery.autoAck(d.deliveryTag(), m.getJMSMessageID());
          return m;
        }
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static boolean readableAs(WarrenMessage m, Class<?> type) throws JMSException {
    return !(m instanceof jakarta.jms.StreamMessage) && m.isBodyAssignableTo(type);
  }

  /** Runs the listener on one buffered delivery; called on the session's listener thread. */
  void dispatchOne() {
    MessageListener l = listener;
    if (l == null || closed) {
      return;
    }
    LinkDelivery d = buffer.poll();
    if (d == null || d == CLOSED) {
      if (d == CLOSED) {
        buffer.add(CLOSED);
      }
      return;
    }
    WarrenMessage m;
    try {
      m = session.delivery.received(this, d);
    } catch (JMSException e) {
      return;
    }
    if (m == null) {
      return;
    }
    if (l instanceof SessionDelivery.DeferredListener deferred) {
      long tag = d.deliveryTag();
      String id = m.getJMSMessageID();
      int count = count(m);
      deferred.onMessage(
          m,
          processed -> {
            if (!processed) {
              session.delivery.listenerFailed(tag, id, count);
              return;
            }
            try {
              session.delivery.autoAck(tag, id);
            } catch (JMSException ignored) {
              // the channel is gone: the broker redelivers
            }
          });
      return;
    }
    try {
      l.onMessage(m);
    } catch (RuntimeException e) {
      // §8.7: in AUTO and DUPS_OK the message is delivered again.
      session.delivery.listenerFailed(d.deliveryTag(), m.getJMSMessageID(), count(m));
      return;
    }
    try {
      session.delivery.autoAck(d.deliveryTag(), m.getJMSMessageID());
    } catch (JMSException ignored) {
      // the channel is gone: the broker redelivers
    }
  }

  private static int count(WarrenMessage m) {
    return m.getObjectProperty("JMSXDeliveryCount") instanceof Integer i ? i : 1;
  }

  @Override
  public void close() throws JMSException {
    if (closed) {
      return;
    }
    closeQuietly();
    if (!session.isDeliveryThread()) {
      session.awaitListenerIdle();
    }
  }

  /**
   * Cancels the AMQP consumer and hands its prefetched messages back; a plain subscriber's queue
   * goes away with it (auto-delete).
   */
  void closeQuietly() {
    if (closed) {
      return;
    }
    List<LinkDelivery> left = new ArrayList<>();
    synchronized (held) {
      closed = true;
      held.forEach(
          (d, timer) -> {
            if (timer.cancel(false)) {
              left.add(d);
            }
          });
      held.clear();
    }
    buffer.add(CLOSED);
    try {
      if (consumerTag != null && session.link.isOpen()) {
        session.link.cancel(consumerTag);
        buffer.drainTo(left);
        left.sort(java.util.Comparator.comparingLong(LinkDelivery::deliveryTag));
        for (LinkDelivery d : left) {
          if (d != CLOSED) {
            session.link.nack(d.deliveryTag(), false, true);
          }
        }
        buffer.add(CLOSED);
      }
    } catch (LinkException ignored) {
      // the channel is closing: the broker requeues what it had delivered
    }
    session.consumerClosed(this);
  }

  @Override
  public Queue getQueue() throws JMSException {
    checkOpen();
    if (destination instanceof Queue q) {
      return q;
    }
    throw new IllegalStateException("a topic subscriber has no queue");
  }

  @Override
  public Topic getTopic() throws JMSException {
    checkOpen();
    if (destination instanceof Topic t) {
      return t;
    }
    throw new IllegalStateException("a queue receiver has no topic");
  }

  @Override
  public boolean getNoLocal() throws JMSException {
    checkOpen();
    return noLocal;
  }

  String subscription() {
    return subscription;
  }
}
