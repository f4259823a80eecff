package io.warrenmq.jms;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import jakarta.jms.ConnectionConsumer;
import jakarta.jms.ConnectionMetaData;
import jakarta.jms.Destination;
import jakarta.jms.ExceptionListener;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidClientIDException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.Queue;
import jakarta.jms.QueueConnection;
import jakarta.jms.QueueSession;
import jakarta.jms.ServerSessionPool;
import jakarta.jms.Session;
import jakarta.jms.Topic;
import jakarta.jms.TopicConnection;
import jakarta.jms.TopicSession;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A JMS connection: one {@link BrokerLink}. Besides the sessions' channels it keeps one channel for
 * topology (declares, binds, deletes), so that a refused declare — which closes its channel in AMQP
 * — never takes a session's channel down with it.
 *
 * <p>Threads: the application's (one per session, as JMS asks), each session's delivery thread, and
 * the link's threads, which only queue deliveries and report a lost link.
 */
public class WarrenConnection implements QueueConnection, TopicConnection {
  private final BrokerLink link;
  private final int prefetch;
  private final List<String> trustedPackages;
  private final List<WarrenSession> sessions = new CopyOnWriteArrayList<>();
  private final Set<String> knownQueues = ConcurrentHashMap.newKeySet();
  private final Set<String> knownExchanges = ConcurrentHashMap.newKeySet();
  private final Set<WarrenDestination> temporaries = ConcurrentHashMap.newKeySet();
  private final Object startLock = new Object();
  private LinkSession admin;
  private java.util.concurrent.ScheduledExecutorService timer;
  private String clientId;
  private boolean clientIdFixed;
  private volatile boolean started;
  private volatile boolean closed;
  private volatile ExceptionListener exceptionListener;

  WarrenConnection(BrokerLink link, int prefetch, List<String> trustedPackages) {
    this.link = link;
    this.prefetch = prefetch;
    this.trustedPackages = List.copyOf(trustedPackages);
    knownExchanges.add("");
    knownExchanges.add(WarrenTopic.DEFAULT_EXCHANGE);
    link.onFailure(this::linkLost);
  }

  private void linkLost(LinkException cause) {
    ExceptionListener listener = exceptionListener;
    if (listener != null && !closed) {
      listener.onException(JmsErrors.jms("connection to the broker lost", cause));
    }
  }

  BrokerLink link() {
    return link;
  }

  int prefetch() {
    return prefetch;
  }

  List<String> trustedPackages() {
    return trustedPackages;
  }

  /** The topology channel, reopened when a refused declare closed it. */
  synchronized LinkSession admin() throws JMSException {
    checkOpen();
    if (admin == null || !admin.isOpen()) {
      try {
        admin = link.openSession();
      } catch (LinkException e) {
        throw JmsErrors.jms("cannot open a channel", e);
      }
    }
    return admin;
  }

  /**
   * Makes sure a queue exists before it is consumed from or sent to: an existing queue is used as
   * it is (whatever its arguments); a missing one is declared durable, as the RabbitMQ JMS client
   * does. Names starting {@code amq.} are the broker's (server-named and reply-to queues) and are
   * never declared.
   */
  void ensureQueue(String name) throws JMSException {
    if (name.startsWith("amq.") || knownQueues.contains(name)) {
      return;
    }
    try {
      LinkSession a = admin();
      if (!a.queueExists(name)) {
        a.declareQueue(name, true, false, false, null);
      }
      knownQueues.add(name);
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot use queue '" + name + "'", e);
    }
  }

  /**
   * Binds {@code queue} to {@code exchange} with {@code bindingKey} through this connection's own
   * link, declaring the queue first when it is missing (durable, as {@link #ensureQueue} does). Not
   * part of JMS: the resource adapter's activations use it for a queue fed by an exchange, so that
   * they need no second client of the broker. Does not fix the client id.
   *
   * @throws InvalidDestinationException when the exchange does not exist (404)
   */
  public void bindQueue(String queue, String exchange, String bindingKey) throws JMSException {
    ensureQueue(queue);
    try {
      admin().bindQueue(queue, exchange, bindingKey);
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot bind queue '" + queue + "' to exchange '" + exchange + "'", e);
    }
  }

  /** An exchange a producer publishes to must exist: publishing to a missing one is a 404. */
  void ensureExchange(String name) throws JMSException {
    if (knownExchanges.contains(name)) {
      return;
    }
    try {
      if (!admin().exchangeExists(name)) {
        throw new InvalidDestinationException("no exchange '" + name + "'", "404");
      }
      knownExchanges.add(name);
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot use exchange '" + name + "'", e);
    }
  }

  void forgetQueue(String name) {
    knownQueues.remove(name);
  }

  void addTemporary(WarrenDestination d) {
    temporaries.add(d);
  }

  void removeTemporary(WarrenDestination d) {
    temporaries.remove(d);
  }

  /** Whether {@code d} is a temporary destination some other connection created. */
  boolean isForeignTemporary(Destination d) {
    return (d instanceof WarrenTemporaryQueue q && q.owner() != this)
        || (d instanceof WarrenTemporaryTopic t && t.owner() != this);
  }

  boolean hasConsumerOn(WarrenDestination d) {
    for (WarrenSession s : sessions) {
      if (s.hasConsumerOn(d)) {
        return true;
      }
    }
    return false;
  }

  boolean hasActiveSubscription(String subscriptionQueue) {
    for (WarrenSession s : sessions) {
      if (s.hasSubscription(subscriptionQueue)) {
        return true;
      }
    }
    return false;
  }

  /** A timer thread for messages whose delivery time has not come yet. */
  synchronized java.util.concurrent.ScheduledExecutorService timer() {
    if (timer == null) {
      timer =
          java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "warren-jms-delivery-timer");
                t.setDaemon(true);
                return t;
              });
    }
    return timer;
  }

  boolean isStarted() {
    return started;
  }

  /** Waits until the connection is started, closed, or {@code millis} pass (0 = forever). */
  boolean awaitStarted(long deadlineNanos) throws InterruptedException {
    synchronized (startLock) {
      while (!started && !closed) {
        if (deadlineNanos == 0) {
          startLock.wait();
        } else {
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          startLock.wait(Math.max(1, left / 1_000_000));
        }
      }
      return started;
    }
  }

  void checkOpen() throws IllegalStateException {
    if (closed) {
      throw JmsErrors.closed("connection");
    }
  }

  private void used() {
    clientIdFixed = true;
  }

  void assignClientId(String id) throws JMSException {
    setClientID(id);
    clientIdFixed = true;
  }

  @Override
  public Session createSession(boolean transacted, int acknowledgeMode) throws JMSException {
    return createSession(transacted ? Session.SESSION_TRANSACTED : acknowledgeMode);
  }

  @Override
  public Session createSession(int sessionMode) throws JMSException {
    checkOpen();
    used();
    if (sessionMode < Session.SESSION_TRANSACTED || sessionMode > Session.DUPS_OK_ACKNOWLEDGE) {
      throw new JMSException("unknown session mode " + sessionMode);
    }
    LinkSession channel;
    try {
      channel = link.openSession();
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot open a session", e);
    }
    WarrenSession session = new WarrenSession(this, channel, sessionMode);
    sessions.add(session);
    return session;
  }

  @Override
  public Session createSession() throws JMSException {
    return createSession(Session.AUTO_ACKNOWLEDGE);
  }

  @Override
  public QueueSession createQueueSession(boolean transacted, int acknowledgeMode)
      throws JMSException {
    WarrenSession session = (WarrenSession) createSession(transacted, acknowledgeMode);
    session.restrictTo(WarrenSession.Domain.QUEUE);
    return session;
  }

  @Override
  public TopicSession createTopicSession(boolean transacted, int acknowledgeMode)
      throws JMSException {
    WarrenSession session = (WarrenSession) createSession(transacted, acknowledgeMode);
    session.restrictTo(WarrenSession.Domain.TOPIC);
    return session;
  }

  void sessionClosed(WarrenSession session) {
    sessions.remove(session);
  }

  @Override
  public String getClientID() throws JMSException {
    checkOpen();
    return clientId;
  }

  /**
   * Sets the client id, which must come before anything else is done with the connection (§6.1.2).
   * The id is held by an exclusive queue {@code jms.client-id.ID} on the broker, so a second
   * connection with the same id is refused with {@link InvalidClientIDException}.
   */
  @Override
  public synchronized void setClientID(String id) throws JMSException {
    checkOpen();
    if (clientIdFixed || clientId != null) {
      throw new IllegalStateException(
          "the client id can only be set right after the connection is created");
    }
    if (id == null || id.isEmpty()) {
      throw new InvalidClientIDException("a client id must not be empty");
    }
    try {
      admin().declareQueue(clientIdQueue(id), false, true, true, null);
    } catch (LinkException e) {
      if (e.replyCode() == 405) {
        throw new InvalidClientIDException("client id '" + id + "' is in use");
      }
      throw JmsErrors.jms("cannot claim client id", e);
    }
    clientId = id;
    clientIdFixed = true;
  }

  /**
   * The exclusive queue that holds a client id: {@code jms.cid.} and 11 characters of the id's
   * SHA-256. The name is kept short because the broker's 405 reply text quotes it and a reply text
   * must fit 255 octets.
   */
  static String clientIdQueue(String id) {
    try {
      byte[] hash =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "jms.cid."
          + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 11);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new java.lang.IllegalStateException(e);
    }
  }

  @Override
  public ConnectionMetaData getMetaData() throws JMSException {
    checkOpen();
    used();
    return new WarrenMetaData();
  }

  @Override
  public ExceptionListener getExceptionListener() throws JMSException {
    checkOpen();
    used();
    return exceptionListener;
  }

  @Override
  public void setExceptionListener(ExceptionListener listener) throws JMSException {
    checkOpen();
    used();
    this.exceptionListener = listener;
  }

  @Override
  public void start() throws JMSException {
    checkOpen();
    used();
    synchronized (startLock) {
      started = true;
      startLock.notifyAll();
    }
    for (WarrenSession s : sessions) {
      s.wakeDispatcher();
    }
  }

  /** Stops delivery; returns once every message listener that was running has returned (§6.1.5). */
  @Override
  public void stop() throws JMSException {
    checkOpen();
    used();
    checkNotFromListener("stop");
    synchronized (startLock) {
      started = false;
    }
    for (WarrenSession s : sessions) {
      s.awaitListenerIdle();
    }
  }

  private void checkNotFromListener(String what) throws IllegalStateException {
    for (WarrenSession s : sessions) {
      if (s.isDeliveryThread()) {
        throw new IllegalStateException(
            "a message listener must not " + what + " its own connection");
      }
    }
  }

  @Override
  public void close() throws JMSException {
    if (closed) {
      return;
    }
    checkNotFromListener("close");
    for (WarrenSession s : sessions) {
      s.close();
    }
    synchronized (startLock) {
      closed = true;
      startLock.notifyAll();
    }
    synchronized (this) {
      if (timer != null) {
        timer.shutdownNow();
      }
    }
    link.close();
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public ConnectionConsumer createConnectionConsumer(
      Destination destination,
      String messageSelector,
      ServerSessionPool sessionPool,
      int maxMessages)
      throws JMSException {
    return WarrenConnectionConsumer.open(
        this, sessionPool, maxMessages, s -> s.createConsumer(destination, messageSelector));
  }

  @Override
  public ConnectionConsumer createSharedConnectionConsumer(
      Topic topic,
      String subscriptionName,
      String messageSelector,
      ServerSessionPool sessionPool,
      int maxMessages)
      throws JMSException {
    return WarrenConnectionConsumer.open(
        this,
        sessionPool,
        maxMessages,
        s -> s.createSharedConsumer(topic, subscriptionName, messageSelector));
  }

  @Override
  public ConnectionConsumer createDurableConnectionConsumer(
      Topic topic,
      String subscriptionName,
      String messageSelector,
      ServerSessionPool sessionPool,
      int maxMessages)
      throws JMSException {
    return WarrenConnectionConsumer.open(
        this,
        sessionPool,
        maxMessages,
        s -> s.createDurableConsumer(topic, subscriptionName, messageSelector, false));
  }

  @Override
  public ConnectionConsumer createSharedDurableConnectionConsumer(
      Topic topic,
      String subscriptionName,
      String messageSelector,
      ServerSessionPool sessionPool,
      int maxMessages)
      throws JMSException {
    return WarrenConnectionConsumer.open(
        this,
        sessionPool,
        maxMessages,
        s -> s.createSharedDurableConsumer(topic, subscriptionName, messageSelector));
  }

  @Override
  public ConnectionConsumer createConnectionConsumer(
      Queue queue, String messageSelector, ServerSessionPool sessionPool, int maxMessages)
      throws JMSException {
    return createConnectionConsumer((Destination) queue, messageSelector, sessionPool, maxMessages);
  }

  @Override
  public ConnectionConsumer createConnectionConsumer(
      Topic topic, String messageSelector, ServerSessionPool sessionPool, int maxMessages)
      throws JMSException {
    return createConnectionConsumer((Destination) topic, messageSelector, sessionPool, maxMessages);
  }

  static JMSRuntimeException unchecked(JMSException e) {
    return JmsErrors.runtime(e);
  }
}
