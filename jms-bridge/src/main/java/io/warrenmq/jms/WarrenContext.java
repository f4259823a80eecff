package io.warrenmq.jms;

import jakarta.jms.BytesMessage;
import jakarta.jms.ConnectionMetaData;
import jakarta.jms.Destination;
import jakarta.jms.ExceptionListener;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSProducer;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simplified API: a connection and one session, created when first needed. Contexts made with
 * {@link #createContext} share the connection, which closes with the last of them. Consumers start
 * the connection unless auto-start is off.
 *
 * <p>The connection is this provider's own, or — through {@link #over} — a handle that wraps one,
 * such as the resource adapter's pooled connections, whose rules (one session, no client id in a
 * container) then apply.
 */
public class WarrenContext implements JMSContext {
  private final jakarta.jms.Connection connection;
  private final AtomicInteger sharers;
  private final int sessionMode;
  private jakarta.jms.Session session;
  private boolean autoStart = true;
  private volatile boolean closed;

  WarrenContext(WarrenConnection connection, int sessionMode) {
    this(connection, sessionMode, new AtomicInteger(1));
  }

  private WarrenContext(jakarta.jms.Connection connection, int sessionMode, AtomicInteger sharers) {
    this.connection = connection;
    this.sessionMode = sessionMode;
    this.sharers = sharers;
  }

  /**
   * A context over a connection that wraps one of this provider's (a resource adapter's pooled
   * handle): its session is the connection's, and closing the context closes the connection.
   */
  public static JMSContext over(jakarta.jms.Connection connection, int sessionMode) {
    checkMode(sessionMode);
    return new WarrenContext(connection, sessionMode, new AtomicInteger(1));
  }

  static void checkMode(int mode) {
    if (mode < SESSION_TRANSACTED || mode > DUPS_OK_ACKNOWLEDGE) {
      throw new JMSRuntimeException("unknown session mode " + mode);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateRuntimeException("the context is closed");
    }
  }

  private synchronized jakarta.jms.Session session() {
    checkOpen();
    if (session == null) {
      try {
        session = connection.createSession(sessionMode);
      } catch (JMSException e) {
        throw JmsErrors.runtime(e);
      }
    }
    return session;
  }

  private interface Call<T> {
    T call() throws JMSException;
  }

  private static <T> T run(Call<T> call) {
    try {
      return call.call();
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public JMSContext createContext(int sessionMode) {
    checkOpen();
    checkMode(sessionMode);
    sharers.incrementAndGet();
    return new WarrenContext(connection, sessionMode, sharers);
  }

  @Override
  public JMSProducer createProducer() {
    return new WarrenJmsProducer(session());
  }

  @Override
  public String getClientID() {
    checkOpen();
    return run(connection::getClientID);
  }

  @Override
  public void setClientID(String clientID) {
    checkOpen();
    run(
        () -> {
          connection.setClientID(clientID);
          return null;
        });
  }

  @Override
  public ConnectionMetaData getMetaData() {
    checkOpen();
    return run(connection::getMetaData);
  }

  @Override
  public ExceptionListener getExceptionListener() {
    checkOpen();
    return run(connection::getExceptionListener);
  }

  @Override
  public void setExceptionListener(ExceptionListener listener) {
    checkOpen();
    run(
        () -> {
          connection.setExceptionListener(listener);
          return null;
        });
  }

  @Override
  public void start() {
    checkOpen();
    run(
        () -> {
          connection.start();
          return null;
        });
  }

  @Override
  public void stop() {
    checkOpen();
    run(
        () -> {
          connection.stop();
          return null;
        });
  }

  @Override
  public void setAutoStart(boolean autoStart) {
    checkOpen();
    this.autoStart = autoStart;
  }

  @Override
  public boolean getAutoStart() {
    checkOpen();
    return autoStart;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    run(
        () -> {
          synchronized (this) {
            if (session != null) {
              session.close();
            }
          }
          closed = true;
          if (sharers.decrementAndGet() == 0) {
            connection.close();
          }
          return null;
        });
  }

  @Override
  public BytesMessage createBytesMessage() {
    return run(() -> session().createBytesMessage());
  }

  @Override
  public MapMessage createMapMessage() {
    return run(() -> session().createMapMessage());
  }

  @Override
  public Message createMessage() {
    return run(() -> session().createMessage());
  }

  @Override
  public ObjectMessage createObjectMessage() {
    return run(() -> session().createObjectMessage());
  }

  @Override
  public ObjectMessage createObjectMessage(Serializable object) {
    return run(() -> session().createObjectMessage(object));
  }

  @Override
  public StreamMessage createStreamMessage() {
    return run(() -> session().createStreamMessage());
  }

  @Override
  public TextMessage createTextMessage() {
    return run(() -> session().createTextMessage());
  }

  @Override
  public TextMessage createTextMessage(String text) {
    return run(() -> session().createTextMessage(text));
  }

  @Override
  public boolean getTransacted() {
    return run(() -> session().getTransacted());
  }

  @Override
  public int getSessionMode() {
    checkOpen();
    return sessionMode;
  }

  @Override
  public void commit() {
    run(
        () -> {
          session().commit();
          return null;
        });
  }

  @Override
  public void rollback() {
    run(
        () -> {
          session().rollback();
          return null;
        });
  }

  @Override
  public void recover() {
    run(
        () -> {
          session().recover();
          return null;
        });
  }

  private JMSConsumer consumer(Call<jakarta.jms.MessageConsumer> create) {
    jakarta.jms.MessageConsumer c = run(create);
    if (autoStart) {
      start();
    }
    return new WarrenJmsConsumer(c);
  }

  @Override
  public JMSConsumer createConsumer(Destination destination) {
    return consumer(() -> session().createConsumer(destination));
  }

  @Override
  public JMSConsumer createConsumer(Destination destination, String messageSelector) {
    return consumer(() -> session().createConsumer(destination, messageSelector));
  }

  @Override
  public JMSConsumer createConsumer(
      Destination destination, String messageSelector, boolean noLocal) {
    return consumer(() -> session().createConsumer(destination, messageSelector, noLocal));
  }

  @Override
  public Queue createQueue(String queueName) {
    return run(() -> session().createQueue(queueName));
  }

  @Override
  public Topic createTopic(String topicName) {
    return run(() -> session().createTopic(topicName));
  }

  @Override
  public JMSConsumer createDurableConsumer(Topic topic, String name) {
    return consumer(() -> session().createDurableConsumer(topic, name));
  }

  @Override
  public JMSConsumer createDurableConsumer(
      Topic topic, String name, String messageSelector, boolean noLocal) {
    return consumer(() -> session().createDurableConsumer(topic, name, messageSelector, noLocal));
  }

  @Override
  public JMSConsumer createSharedDurableConsumer(Topic topic, String name) {
    return consumer(() -> session().createSharedDurableConsumer(topic, name));
  }

  @Override
  public JMSConsumer createSharedDurableConsumer(Topic topic, String name, String messageSelector) {
    return consumer(() -> session().createSharedDurableConsumer(topic, name, messageSelector));
  }

  @Override
  public JMSConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName) {
    return consumer(() -> session().createSharedConsumer(topic, sharedSubscriptionName));
  }

  @Override
  public JMSConsumer createSharedConsumer(
      Topic topic, String sharedSubscriptionName, String messageSelector) {
    return consumer(
        () -> session().createSharedConsumer(topic, sharedSubscriptionName, messageSelector));
  }

  @Override
  public QueueBrowser createBrowser(Queue queue) {
    return run(() -> session().createBrowser(queue));
  }

  @Override
  public QueueBrowser createBrowser(Queue queue, String messageSelector) {
    return run(() -> session().createBrowser(queue, messageSelector));
  }

  @Override
  public TemporaryQueue createTemporaryQueue() {
    return run(() -> session().createTemporaryQueue());
  }

  @Override
  public TemporaryTopic createTemporaryTopic() {
    return run(() -> session().createTemporaryTopic());
  }

  @Override
  public void unsubscribe(String name) {
    run(
        () -> {
          session().unsubscribe(name);
          return null;
        });
  }

  @Override
  public void acknowledge() {
    jakarta.jms.Session s = session();
    if (sessionMode != CLIENT_ACKNOWLEDGE) {
      return;
    }
    if (!(s instanceof WarrenSession own)) {
      throw new IllegalStateRuntimeException(
          "a container's pooled context acknowledges automatically (Jakarta Messaging §12.3)");
    }
    run(
        () -> {
          own.acknowledgeAll();
          return null;
        });
  }
}
