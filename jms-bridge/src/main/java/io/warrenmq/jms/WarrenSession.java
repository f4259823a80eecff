package io.warrenmq.jms;

import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import io.warrenmq.jms.message.WarrenBytesMessage;
import io.warrenmq.jms.message.WarrenMapMessage;
import io.warrenmq.jms.message.WarrenMessage;
import io.warrenmq.jms.message.WarrenObjectMessage;
import io.warrenmq.jms.message.WarrenStreamMessage;
import io.warrenmq.jms.message.WarrenTextMessage;
import jakarta.jms.BytesMessage;
import jakarta.jms.CompletionListener;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageListener;
import jakarta.jms.MessageProducer;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.QueueReceiver;
import jakarta.jms.QueueSender;
import jakarta.jms.QueueSession;
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import jakarta.jms.TopicPublisher;
import jakarta.jms.TopicSession;
import jakarta.jms.TopicSubscriber;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A JMS session: one AMQP channel. It owns what JMS makes per-session — the acknowledgement mode,
 * the transaction, the messages delivered but not yet acknowledged, and the one thread that runs
 * its message listeners in order ({@link SessionDelivery}). Publishing and async-send confirms are
 * in {@link SessionPublisher}.
 *
 * <p>Acknowledgement: AUTO and DUPS_OK ack each message right after receive returns it or its
 * listener returns; CLIENT and transacted sessions keep the delivery tags until acknowledge,
 * commit, recover or rollback, which requeue with {@code basic.nack(requeue)} in tag order, so the
 * broker puts the messages back in their original order.
 */
public class WarrenSession implements QueueSession, TopicSession {
  final WarrenConnection connection;
  final LinkSession link;
  private final int mode;
  final SessionDelivery delivery;
  final SessionPublisher publisher;
  private final List<WarrenMessageConsumer> consumers = new CopyOnWriteArrayList<>();
  private final List<WarrenMessageProducer> producers = new CopyOnWriteArrayList<>();
  private final List<WarrenQueueBrowser> browsers = new CopyOnWriteArrayList<>();
  private final ReentrantLock ackLock = new ReentrantLock();

  /** Application server facilities: the distinguished listener and what is loaded for run(). */
  private volatile MessageListener distinguishedListener;

  private final java.util.Queue<Loaded> loaded = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** Messages run() handed over that wait for commit or acknowledge (ackLock guards it). */
  private final List<SessionDelivery.Outcome> loadedUnsettled = new ArrayList<>();

  private record Loaded(WarrenMessage message, SessionDelivery.Outcome outcome) {}

  private volatile boolean closed;
  private Domain domain = Domain.ANY;

  /**
   * A session made by createQueueSession or createTopicSession serves only that domain: the other
   * domain's methods throw IllegalStateException, as the QueueSession and TopicSession javadoc
   * require.
   */
  enum Domain {
    ANY,
    QUEUE,
    TOPIC
  }

  void restrictTo(Domain domain) {
    this.domain = domain;
  }

  private void checkDomain(Domain needed, String what) throws IllegalStateException {
    if (domain != Domain.ANY && domain != needed) {
      throw new IllegalStateException(what + " on a " + domain.name().toLowerCase() + " session");
    }
  }

  WarrenSession(WarrenConnection connection, LinkSession link, int mode) throws JMSException {
    this.connection = connection;
    this.link = link;
    this.mode = mode;
    this.delivery = new SessionDelivery(this);
    this.publisher = new SessionPublisher(this);
    if (mode == SESSION_TRANSACTED) {
      try {
        link.txSelect();
      } catch (LinkException e) {
        throw JmsErrors.jms("cannot start a transaction", e);
      }
    }
  }

  int mode() {
    return mode;
  }

  boolean isClosed() {
    return closed;
  }

  void checkOpen() throws IllegalStateException {
    if (closed) {
      throw JmsErrors.closed("session");
    }
    connection.checkOpen();
  }

  // ---- messages ---------------------------------------------------------------------------

  @Override
  public BytesMessage createBytesMessage() throws JMSException {
    checkOpen();
    return new WarrenBytesMessage();
  }

  @Override
  public MapMessage createMapMessage() throws JMSException {
    checkOpen();
    return new WarrenMapMessage();
  }

  @Override
  public Message createMessage() throws JMSException {
    checkOpen();
    return new WarrenMessage();
  }

  @Override
  public ObjectMessage createObjectMessage() throws JMSException {
    checkOpen();
    WarrenObjectMessage m = new WarrenObjectMessage();
    m.trustPackages(connection.trustedPackages());
    return m;
  }

  @Override
  public ObjectMessage createObjectMessage(Serializable object) throws JMSException {
    ObjectMessage m = createObjectMessage();
    m.setObject(object);
    return m;
  }

  @Override
  public StreamMessage createStreamMessage() throws JMSException {
    checkOpen();
    return new WarrenStreamMessage();
  }

  @Override
  public TextMessage createTextMessage() throws JMSException {
    checkOpen();
    return new WarrenTextMessage();
  }

  @Override
  public TextMessage createTextMessage(String text) throws JMSException {
    TextMessage m = createTextMessage();
    m.setText(text);
    return m;
  }

  // ---- transactions and acknowledgement ----------------------------------------------------

  @Override
  public boolean getTransacted() throws JMSException {
    checkOpen();
    return mode == SESSION_TRANSACTED;
  }

  @Override
  public int getAcknowledgeMode() throws JMSException {
    checkOpen();
    return mode;
  }

  @Override
  public void commit() throws JMSException {
    checkOpen();
    if (mode != SESSION_TRANSACTED) {
      throw new IllegalStateException("commit on a session that is not transacted");
    }
    publisher.checkNotInCallback("commit");
    ackLock.lock();
    try {
      for (SessionDelivery.Delivered d : delivery.takeUnacked()) {
        link.ack(d.tag(), false);
        delivery.forget(d.messageId());
      }
      link.txCommit();
    } catch (LinkException e) {
      throw JmsErrors.jms("commit failed", e);
    } finally {
      ackLock.unlock();
    }
    settleLoaded(true);
  }

  @Override
  public void rollback() throws JMSException {
    checkOpen();
    if (mode != SESSION_TRANSACTED) {
      throw new IllegalStateException("rollback on a session that is not transacted");
    }
    publisher.checkNotInCallback("rollback");
    ackLock.lock();
    try {
      link.txRollback();
      // The nacks are transactional too: commit them straight away.
      delivery.requeueAll();
      link.txCommit();
    } catch (LinkException e) {
      throw JmsErrors.jms("rollback failed", e);
    } finally {
      ackLock.unlock();
    }
    settleLoaded(false);
  }

  @Override
  public void recover() throws JMSException {
    checkOpen();
    if (mode == SESSION_TRANSACTED) {
      throw new IllegalStateException("recover on a transacted session");
    }
    ackLock.lock();
    try {
      delivery.requeueAll();
    } catch (LinkException e) {
      throw JmsErrors.jms("recover failed", e);
    } finally {
      ackLock.unlock();
    }
    settleLoaded(false);
  }

  /** Message.acknowledge in a CLIENT_ACKNOWLEDGE session: every message delivered so far. */
  void acknowledgeAll() throws JMSException {
    if (closed) {
      throw new IllegalStateException("acknowledge on a message of a closed session");
    }
    ackLock.lock();
    try {
      for (SessionDelivery.Delivered d : delivery.takeUnacked()) {
        link.ack(d.tag(), false);
        delivery.forget(d.messageId());
      }
    } catch (LinkException e) {
      throw JmsErrors.jms("acknowledge failed", e);
    } finally {
      ackLock.unlock();
    }
    settleLoaded(true);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  @Override
  public void close() throws JMSException {
    if (closed) {
      return;
    }
    publisher.checkNotInCallback("close");
    publisher.awaitCompletions();
    for (WarrenMessageConsumer c : consumers) {
      c.closeQuietly();
    }
    for (WarrenQueueBrowser b : browsers) {
      b.close();
    }
    closed = true;
    settleLoaded(false);
    Loaded left;
    while ((left = loaded.poll()) != null) {
      left.outcome().settle(false);
    }
    delivery.stop();
    link.close();
    connection.sessionClosed(this);
  }

  @Override
  public MessageListener getMessageListener() throws JMSException {
    checkOpen();
    return distinguishedListener;
  }

  /**
   * The distinguished listener of a server session (§8.2): {@link #run} gives it the messages a
   * connection consumer loaded into this session.
   */
  @Override
  public void setMessageListener(MessageListener listener) throws JMSException {
    checkOpen();
    distinguishedListener = listener;
  }

  /** A connection consumer hands a message to this (server) session, for {@link #run}. */
  void load(WarrenMessage message, SessionDelivery.Outcome outcome) {
    loaded.add(new Loaded(message, outcome));
  }

  /**
   * Gives each loaded message to the distinguished listener, as the application server asks through
   * ServerSession.start. When the listener returns, the message is acknowledged in AUTO and DUPS_OK
   * sessions, and at the next commit or acknowledge in transacted and CLIENT_ACKNOWLEDGE ones; a
   * listener that throws in AUTO or DUPS_OK sends it back to be redelivered.
   */
  @Override
  public void run() {
    Loaded next;
    while ((next = loaded.poll()) != null) {
      MessageListener l = distinguishedListener;
      if (l == null || closed) {
        next.outcome().settle(false);
        if (l == null) {
          throw new jakarta.jms.IllegalStateRuntimeException(
              "Session.run without a distinguished message listener: the message goes back");
        }
        continue;
      }
      WarrenMessage m = next.message();
      boolean later = mode == SESSION_TRANSACTED || mode == CLIENT_ACKNOWLEDGE;
      if (later) {
        ackLock.lock();
        try {
          loadedUnsettled.add(next.outcome());
        } finally {
          ackLock.unlock();
        }
      }
      m.markReceived(mode == CLIENT_ACKNOWLEDGE ? this::acknowledgeAll : null);
      try {
        l.onMessage(m);
      } catch (RuntimeException e) {
        if (!later) {
          next.outcome().settle(false);
        }
        continue;
      }
      if (!later) {
        next.outcome().settle(true);
      }
    }
  }

  /** Settles what run() handed over and commit, acknowledge, rollback or recover decided. */
  private void settleLoaded(boolean processed) {
    List<SessionDelivery.Outcome> settled;
    ackLock.lock();
    try {
      if (loadedUnsettled.isEmpty()) {
        return;
      }
      settled = new ArrayList<>(loadedUnsettled);
      loadedUnsettled.clear();
    } finally {
      ackLock.unlock();
    }
    for (SessionDelivery.Outcome o : settled) {
      o.settle(processed);
    }
  }

  void consumerClosed(WarrenMessageConsumer c) {
    consumers.remove(c);
  }

  void producerClosed(WarrenMessageProducer p) {
    producers.remove(p);
  }

  void browserClosed(WarrenQueueBrowser b) {
    browsers.remove(b);
  }

  boolean hasConsumerOn(WarrenDestination d) {
    for (WarrenMessageConsumer c : consumers) {
      if (d.equals(c.destination())) {
        return true;
      }
    }
    return false;
  }

  boolean hasSubscription(String queue) {
    for (WarrenMessageConsumer c : consumers) {
      if (queue.equals(c.queue())) {
        return true;
      }
    }
    return false;
  }

  boolean isDeliveryThread() {
    return delivery.isDeliveryThread();
  }

  void wakeDispatcher() {
    delivery.wake();
  }

  void awaitListenerIdle() {
    delivery.awaitIdle();
  }

  // ---- destinations ------------------------------------------------------------------------

  @Override
  public Queue createQueue(String queueName) throws JMSException {
    checkDomain(Domain.QUEUE, "createQueue");
    checkOpen();
    if (queueName == null || queueName.isEmpty()) {
      throw new InvalidDestinationException("a queue needs a name");
    }
    WarrenDestination d = WarrenDestination.fromAddress(queueName);
    return d instanceof Queue q ? q : new WarrenQueue(queueName);
  }

  @Override
  public Topic createTopic(String topicName) throws JMSException {
    checkDomain(Domain.TOPIC, "createTopic");
    checkOpen();
    if (topicName == null || topicName.isEmpty()) {
      throw new InvalidDestinationException("a topic needs a name");
    }
    return topicName.startsWith(WarrenDestination.EXCHANGE_PREFIX)
        ? (Topic) WarrenDestination.fromAddress(topicName)
        : new WarrenTopic(topicName);
  }

  @Override
  public TemporaryQueue createTemporaryQueue() throws JMSException {
    checkDomain(Domain.QUEUE, "createTemporaryQueue");
    checkOpen();
    try {
      String name = connection.admin().declareQueue("", false, true, false, null);
      WarrenTemporaryQueue q = new WarrenTemporaryQueue(name, connection);
      connection.addTemporary(q);
      return q;
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot create a temporary queue", e);
    }
  }

  @Override
  public TemporaryTopic createTemporaryTopic() throws JMSException {
    checkDomain(Domain.TOPIC, "createTemporaryTopic");
    checkOpen();
    WarrenTemporaryTopic t =
        new WarrenTemporaryTopic("jms.temp-topic." + UUID.randomUUID(), connection);
    connection.addTemporary(t);
    return t;
  }

  private static WarrenTopic topic(Topic t) throws InvalidDestinationException {
    if (!(destination(t) instanceof WarrenTopic topic)) {
      throw new InvalidDestinationException("a subscription needs a topic");
    }
    return topic;
  }

  static WarrenDestination destination(Destination d) throws InvalidDestinationException {
    if (d == null) {
      throw new InvalidDestinationException("no destination");
    }
    if (d instanceof WarrenDestination w) {
      return w;
    }
    // Another provider's (or an application server's) Queue or Topic is taken by its name, as
    // JMS 3.1 §4.11 lets a provider do, so container-defined destinations work here too.
    try {
      if (d instanceof jakarta.jms.Queue q && q.getQueueName() != null) {
        return new WarrenQueue(q.getQueueName());
      }
      if (d instanceof Topic t && t.getTopicName() != null) {
        return new WarrenTopic(t.getTopicName());
      }
    } catch (JMSException e) {
      throw new InvalidDestinationException("cannot read the destination's name: " + e);
    }
    throw new InvalidDestinationException("not a destination of this provider: " + d);
  }

  // ---- producers ---------------------------------------------------------------------------

  @Override
  public MessageProducer createProducer(Destination destination) throws JMSException {
    checkOpen();
    WarrenDestination d = destination == null ? null : destination(destination);
    if (d != null) {
      publisher.prepare(d);
    }
    WarrenMessageProducer p = new WarrenMessageProducer(this, d);
    producers.add(p);
    return p;
  }

  @Override
  public QueueSender createSender(Queue queue) throws JMSException {
    return (QueueSender) createProducer(queue);
  }

  @Override
  public TopicPublisher createPublisher(Topic topic) throws JMSException {
    return (TopicPublisher) createProducer(topic);
  }

  void send(
      WarrenDestination destination,
      Message message,
      WarrenMessageProducer.Options options,
      CompletionListener completion)
      throws JMSException {
    publisher.send(destination, message, options, completion);
  }

  // ---- consumers ---------------------------------------------------------------------------

  @Override
  public MessageConsumer createConsumer(Destination destination) throws JMSException {
    return createConsumer(destination, null, false);
  }

  @Override
  public MessageConsumer createConsumer(Destination destination, String messageSelector)
      throws JMSException {
    return createConsumer(destination, messageSelector, false);
  }

  @Override
  public MessageConsumer createConsumer(
      Destination destination, String messageSelector, boolean noLocal) throws JMSException {
    checkOpen();
    WarrenDestination d = destination(destination);
    MessageSelector selector = MessageSelector.parse(messageSelector);
    if (d instanceof Queue) {
      Subscriptions.checkQueueSelector(connection, selector);
    }
    if (connection.isForeignTemporary(d)) {
      throw new InvalidDestinationException(
          "only the connection that created a temporary destination can consume from it");
    }
    if (d instanceof WarrenTemporaryTopic t && t.isDeleted()) {
      throw new InvalidDestinationException("the temporary topic was deleted");
    }
    Subscriptions.Target target =
        d instanceof Queue q
            ? Subscriptions.queue(connection, q.getQueueName())
            : Subscriptions.privateSubscription(connection, (WarrenTopic) d);
    return startConsumer(d, target, selector, noLocal, null);
  }

  WarrenMessageConsumer startConsumer(
      WarrenDestination d,
      Subscriptions.Target target,
      MessageSelector selector,
      boolean noLocal,
      String subscription)
      throws JMSException {
    WarrenMessageConsumer c =
        new WarrenMessageConsumer(this, d, target, selector, noLocal, subscription);
    consumers.add(c);
    try {
      c.start();
    } catch (JMSException e) {
      consumers.remove(c);
      throw e;
    }
    return c;
  }

  @Override
  public QueueReceiver createReceiver(Queue queue) throws JMSException {
    return (QueueReceiver) createConsumer(queue);
  }

  @Override
  public QueueReceiver createReceiver(Queue queue, String messageSelector) throws JMSException {
    return (QueueReceiver) createConsumer(queue, messageSelector);
  }

  @Override
  public TopicSubscriber createSubscriber(Topic topic) throws JMSException {
    return (TopicSubscriber) createConsumer(topic);
  }

  @Override
  public TopicSubscriber createSubscriber(Topic topic, String messageSelector, boolean noLocal)
      throws JMSException {
    return (TopicSubscriber) createConsumer(topic, messageSelector, noLocal);
  }

  @Override
  public MessageConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName)
      throws JMSException {
    return createSharedConsumer(topic, sharedSubscriptionName, null);
  }

  @Override
  public MessageConsumer createSharedConsumer(
      Topic topic, String sharedSubscriptionName, String messageSelector) throws JMSException {
    checkDomain(Domain.TOPIC, "createSharedConsumer");
    checkOpen();
    MessageSelector selector = MessageSelector.parse(messageSelector);
    WarrenTopic t = topic(topic);
    Subscriptions.Target target =
        Subscriptions.shared(connection, t, sharedSubscriptionName, false);
    return startConsumer(t, target, selector, false, sharedSubscriptionName);
  }

  @Override
  public TopicSubscriber createDurableSubscriber(Topic topic, String name) throws JMSException {
    return createDurableSubscriber(topic, name, null, false);
  }

  @Override
  public TopicSubscriber createDurableSubscriber(
      Topic topic, String name, String messageSelector, boolean noLocal) throws JMSException {
    return (TopicSubscriber) createDurableConsumer(topic, name, messageSelector, noLocal);
  }

  @Override
  public MessageConsumer createDurableConsumer(Topic topic, String name) throws JMSException {
    return createDurableConsumer(topic, name, null, false);
  }

  @Override
  public MessageConsumer createDurableConsumer(
      Topic topic, String name, String messageSelector, boolean noLocal) throws JMSException {
    checkDomain(Domain.TOPIC, "createDurableConsumer");
    checkOpen();
    MessageSelector selector = MessageSelector.parse(messageSelector);
    WarrenTopic t = topic(topic);
    Subscriptions.Target target = Subscriptions.durable(connection, t, name);
    if (connection.hasActiveSubscription(target.queue())) {
      throw new IllegalStateException("durable subscription '" + name + "' already has a consumer");
    }
    return startConsumer(t, target, selector, noLocal, name);
  }

  @Override
  public MessageConsumer createSharedDurableConsumer(Topic topic, String name) throws JMSException {
    return createSharedDurableConsumer(topic, name, null);
  }

  @Override
  public MessageConsumer createSharedDurableConsumer(
      Topic topic, String name, String messageSelector) throws JMSException {
    checkDomain(Domain.TOPIC, "createSharedDurableConsumer");
    checkOpen();
    MessageSelector selector = MessageSelector.parse(messageSelector);
    WarrenTopic t = topic(topic);
    Subscriptions.Target target = Subscriptions.shared(connection, t, name, true);
    return startConsumer(t, target, selector, false, name);
  }

  @Override
  public void unsubscribe(String name) throws JMSException {
    checkDomain(Domain.TOPIC, "unsubscribe");
    checkOpen();
    Subscriptions.unsubscribe(connection, name);
  }

  // ---- browsers ----------------------------------------------------------------------------

  @Override
  public QueueBrowser createBrowser(Queue queue) throws JMSException {
    return createBrowser(queue, null);
  }

  @Override
  public QueueBrowser createBrowser(Queue queue, String messageSelector) throws JMSException {
    checkDomain(Domain.QUEUE, "createBrowser");
    checkOpen();
    MessageSelector selector = MessageSelector.parse(messageSelector);
    WarrenDestination d = destination(queue);
    if (!(d instanceof WarrenQueue q)) {
      throw new InvalidDestinationException("a browser needs a queue");
    }
    connection.ensureQueue(q.getQueueName());
    WarrenQueueBrowser b = new WarrenQueueBrowser(this, q, selector);
    browsers.add(b);
    return b;
  }

  List<WarrenMessageConsumer> consumers() {
    return new ArrayList<>(consumers);
  }
}
