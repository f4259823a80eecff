package io.warrenmq.ra;

import jakarta.jms.BytesMessage;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageListener;
import jakarta.jms.MessageProducer;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import jakarta.jms.TopicSubscriber;
import jakarta.jms.TransactionInProgressException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The session an application gets from a pooled connection: a view of one of the managed
 * connection's sessions. Closing it closes the producers, consumers and browsers made through it,
 * not the pooled session. Inside a container transaction commit and rollback belong to the
 * container (Jakarta Messaging 3.1 §12.3).
 */
final class SessionHandle implements Session {
  private final ConnectionHandle connection;
  private final Session session;
  private final boolean containerTransaction;
  private final List<AutoCloseable> children = new ArrayList<>();
  private boolean closed;

  SessionHandle(ConnectionHandle connection, Session session, boolean containerTransaction) {
    this.connection = connection;
    this.session = session;
    this.containerTransaction = containerTransaction;
  }

  private Session open() throws JMSException {
    if (closed) {
      throw new IllegalStateException("the session is closed");
    }
    connection.checkOpen();
    return session;
  }

  private <T extends AutoCloseable> T track(T child) {
    children.add(child);
    return child;
  }

  /** The provider's destination for an admin object; anything else as it is. */
  static Destination provider(Destination d) {
    if (d instanceof WarrenQueue q) {
      return q.toProvider();
    }
    if (d instanceof WarrenTopic t) {
      return t.toProvider();
    }
    return d;
  }

  private static Topic provider(Topic t) {
    return t instanceof WarrenTopic w ? w.toProvider() : t;
  }

  private static Queue provider(Queue q) {
    return q instanceof WarrenQueue w ? w.toProvider() : q;
  }

  @Override
  public BytesMessage createBytesMessage() throws JMSException {
    return open().createBytesMessage();
  }

  @Override
  public MapMessage createMapMessage() throws JMSException {
    return open().createMapMessage();
  }

  @Override
  public Message createMessage() throws JMSException {
    return open().createMessage();
  }

  @Override
  public ObjectMessage createObjectMessage() throws JMSException {
    return open().createObjectMessage();
  }

  @Override
  public ObjectMessage createObjectMessage(Serializable object) throws JMSException {
    return open().createObjectMessage(object);
  }

  @Override
  public StreamMessage createStreamMessage() throws JMSException {
    return open().createStreamMessage();
  }

  @Override
  public TextMessage createTextMessage() throws JMSException {
    return open().createTextMessage();
  }

  @Override
  public TextMessage createTextMessage(String text) throws JMSException {
    return open().createTextMessage(text);
  }

  @Override
  public boolean getTransacted() throws JMSException {
    return open().getTransacted();
  }

  @Override
  public int getAcknowledgeMode() throws JMSException {
    return open().getAcknowledgeMode();
  }

  @Override
  public void commit() throws JMSException {
    if (containerTransaction) {
      throw new TransactionInProgressException("the container commits this session");
    }
    open().commit();
  }

  @Override
  public void rollback() throws JMSException {
    if (containerTransaction) {
      throw new TransactionInProgressException("the container rolls this session back");
    }
    open().rollback();
  }

  @Override
  public void close() throws JMSException {
    if (closed) {
      return;
    }
    closed = true;
    JMSException first = null;
    for (AutoCloseable child : children) {
      try {
        child.close();
      } catch (Exception e) {
        if (first == null) {
          first = e instanceof JMSException j ? j : new JMSException(e.toString());
        }
      }
    }
    children.clear();
    if (first != null) {
      throw first;
    }
  }

  @Override
  public void recover() throws JMSException {
    open().recover();
  }

  @Override
  public MessageListener getMessageListener() throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }

  @Override
  public void setMessageListener(MessageListener listener) throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container: use an MDB");
  }

  @Override
  public void run() {
    throw new jakarta.jms.IllegalStateRuntimeException("not allowed in a Jakarta EE container");
  }

  @Override
  public MessageProducer createProducer(Destination destination) throws JMSException {
    return track(open().createProducer(provider(destination)));
  }

  @Override
  public MessageConsumer createConsumer(Destination destination) throws JMSException {
    return track(open().createConsumer(provider(destination)));
  }

  @Override
  public MessageConsumer createConsumer(Destination destination, String selector)
      throws JMSException {
    return track(open().createConsumer(provider(destination), selector));
  }

  @Override
  public MessageConsumer createConsumer(Destination destination, String selector, boolean noLocal)
      throws JMSException {
    return track(open().createConsumer(provider(destination), selector, noLocal));
  }

  @Override
  public MessageConsumer createSharedConsumer(Topic topic, String name) throws JMSException {
    return track(open().createSharedConsumer(provider(topic), name));
  }

  @Override
  public MessageConsumer createSharedConsumer(Topic topic, String name, String selector)
      throws JMSException {
    return track(open().createSharedConsumer(provider(topic), name, selector));
  }

  @Override
  public Queue createQueue(String queueName) throws JMSException {
    return open().createQueue(queueName);
  }

  @Override
  public Topic createTopic(String topicName) throws JMSException {
    return open().createTopic(topicName);
  }

  @Override
  public TopicSubscriber createDurableSubscriber(Topic topic, String name) throws JMSException {
    return track(open().createDurableSubscriber(provider(topic), name));
  }

  @Override
  public TopicSubscriber createDurableSubscriber(
      Topic topic, String name, String selector, boolean noLocal) throws JMSException {
    return track(open().createDurableSubscriber(provider(topic), name, selector, noLocal));
  }

  @Override
  public MessageConsumer createDurableConsumer(Topic topic, String name) throws JMSException {
    return track(open().createDurableConsumer(provider(topic), name));
  }

  @Override
  public MessageConsumer createDurableConsumer(
      Topic topic, String name, String selector, boolean noLocal) throws JMSException {
    return track(open().createDurableConsumer(provider(topic), name, selector, noLocal));
  }

  @Override
  public MessageConsumer createSharedDurableConsumer(Topic topic, String name) throws JMSException {
    return track(open().createSharedDurableConsumer(provider(topic), name));
  }

  @Override
  public MessageConsumer createSharedDurableConsumer(Topic topic, String name, String selector)
      throws JMSException {
    return track(open().createSharedDurableConsumer(provider(topic), name, selector));
  }

  @Override
  public QueueBrowser createBrowser(Queue queue) throws JMSException {
    return track(open().createBrowser(provider(queue)));
  }

  @Override
  public QueueBrowser createBrowser(Queue queue, String selector) throws JMSException {
    return track(open().createBrowser(provider(queue), selector));
  }

  @Override
  public TemporaryQueue createTemporaryQueue() throws JMSException {
    return open().createTemporaryQueue();
  }

  @Override
  public TemporaryTopic createTemporaryTopic() throws JMSException {
    return open().createTemporaryTopic();
  }

  @Override
  public void unsubscribe(String name) throws JMSException {
    open().unsubscribe(name);
  }
}
