package io.warrenmq.ra.inbound;

import io.warrenmq.jms.WarrenConnection;
import io.warrenmq.jms.WarrenConnectionFactory;
import io.warrenmq.jms.WarrenQueue;
import io.warrenmq.jms.WarrenTopic;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageListener;
import jakarta.jms.Session;
import jakarta.jms.Topic;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import jakarta.resource.spi.work.WorkException;
import jakarta.resource.spi.work.WorkManager;
import java.lang.reflect.Method;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One activated message-driven bean: one JMS connection and {@code maxSession} transacted sessions,
 * each drained by a {@link DeliveryLoop} running as long-lived work on the container's WorkManager.
 * A session is one consumer, so deliveries are concurrent across sessions and serial within one.
 *
 * <p>Everything the activation declares and binds goes through that JMS connection's own link — in
 * VM to an embedded broker — never through a second client of the broker: a queue fed by an {@code
 * exchange} is bound with {@link WarrenConnection#bindQueue}.
 *
 * <p>Topics are consumed through shared subscriptions (durable or not) so that the sessions share
 * one subscription's messages instead of each getting a copy.
 *
 * <p>When the connection is lost (the broker restarts, the network fails), the loops end and the
 * activation connects again in the background — after 1 s, then twice as long each time up to 30 s
 * — and resumes with the same subscriptions; uncommitted deliveries went back to their queues with
 * the connection, so nothing is lost. Stopping the activation ends the attempts.
 */
public final class Activation {
  private static final Logger LOG = Logger.getLogger(Activation.class.getName());
  static final Method ON_MESSAGE;

  static {
    try {
      ON_MESSAGE = MessageListener.class.getMethod("onMessage", jakarta.jms.Message.class);
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final long STOP_WAIT_MILLIS = 30_000;
  static final long FIRST_RETRY_MILLIS = 1_000;
  static final long MAX_RETRY_MILLIS = 30_000;

  private final URI jmsUri;
  private final WarrenActivationSpec spec;
  private final MessageEndpointFactory factory;
  private final WorkManager workManager;
  private final RedeliveryCounter counter = new RedeliveryCounter(10_000);
  private final List<DeliveryLoop> loops = new ArrayList<>();
  private final String subscription;
  private boolean transacted;
  private WarrenConnection connection;
  private volatile boolean stopping;
  private volatile java.util.concurrent.ScheduledExecutorService reconnector;

  /**
   * @param jmsUri what the activation's JMS connection uses — in-VM to an embedded broker — and
   *     through it everything the activation declares and binds
   */
  public Activation(
      URI jmsUri,
      WarrenActivationSpec spec,
      MessageEndpointFactory factory,
      WorkManager workManager) {
    this.jmsUri = jmsUri;
    this.spec = spec;
    this.factory = factory;
    this.workManager = workManager;
    this.subscription =
        spec.getSubscriptionName() == null || spec.getSubscriptionName().isBlank()
            ? "mdb." + UUID.randomUUID()
            : spec.getSubscriptionName();
  }

  /** Connects, subscribes and schedules the delivery loops. */
  public void start() throws ResourceException {
    try {
      transacted = factory.isDeliveryTransacted(ON_MESSAGE);
    } catch (NoSuchMethodException e) {
      throw new ResourceAdapterInternalException("the endpoint is not a MessageListener", e);
    }
    connect();
    LOG.log(
        Level.INFO,
        "WARRENRA0013 endpoint activated on {0} with {1} sessions ({2})",
        new Object[] {
          spec, spec.getMaxSession(), transacted ? "container transaction" : "no transaction"
        });
  }

  private synchronized void connect() throws ResourceException {
    try {
      WarrenConnectionFactory cf = new WarrenConnectionFactory(jmsUri.toString());
      cf.setPrefetch(spec.getPrefetch());
      connection =
          spec.getUser() == null
              ? cf.createConnection()
              : cf.createConnection(spec.getUser(), spec.getPassword());
      if (spec.getClientId() != null && !spec.getClientId().isBlank()) {
        connection.setClientID(spec.getClientId());
      }
      if (spec.getExchange() != null && !spec.getExchange().isBlank() && !spec.isTopic()) {
        // The queue is bound to the exchange with the binding key (default: its own name).
        String queue = spec.getDestination();
        String key = spec.getBindingKey() != null ? spec.getBindingKey() : queue;
        connection.bindQueue(queue, spec.getExchange(), key);
      }
      WarrenConnection current = connection;
      connection.setExceptionListener(e -> connectionLost(current, e));
      Destination destination = destination();
      for (int i = 0; i < spec.getMaxSession(); i++) {
        Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
        MessageConsumer consumer = consumer(session, destination, subscription);
        loops.add(
            new DeliveryLoop(
                this, session, consumer, transacted, spec.getMaxRedeliveries(), counter));
      }
      connection.start();
    } catch (JMSException | RuntimeException e) {
      closeQuietly();
      throw new ResourceAdapterInternalException(
          "WARRENRA0011 cannot activate the endpoint for " + spec + ": " + e.getMessage(), e);
    }
    for (DeliveryLoop loop : loops) {
      try {
        workManager.scheduleWork(loop, WorkManager.INDEFINITE, null, null);
      } catch (WorkException e) {
        stopLoops();
        closeQuietly();
        throw new ResourceAdapterInternalException(
            "WARRENRA0012 the WorkManager refused a delivery loop for " + spec, e);
      }
    }
  }

  /** The connection's ExceptionListener: the broker went away. */
  private void connectionLost(WarrenConnection lost, JMSException cause) {
    synchronized (this) {
      if (stopping || lost != connection) {
        return;
      }
      if (reconnector == null) {
        reconnector =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "warren-ra-reconnect");
                  t.setDaemon(true);
                  return t;
                });
      }
    }
    LOG.log(
        Level.WARNING,
        "WARRENRA0016 connection of the endpoint on {0} lost ({1}); reconnecting",
        new Object[] {spec, cause.getMessage()});
    reconnector.execute(() -> reconnect(FIRST_RETRY_MILLIS));
  }

  private void reconnect(long delayMillis) {
    if (stopping) {
      return;
    }
    stopLoops();
    synchronized (this) {
      closeQuietly();
      loops.clear();
    }
    try {
      if (stopping) {
        return;
      }
      connect();
      LOG.log(Level.INFO, "WARRENRA0017 endpoint on {0} reconnected", spec);
    } catch (ResourceException | RuntimeException e) {
      long next = Math.min(delayMillis * 2, MAX_RETRY_MILLIS);
      LOG.log(
          Level.INFO,
          "WARRENRA0018 endpoint on {0} cannot reconnect yet ({1}); next attempt in {2} ms",
          new Object[] {spec, e.getMessage(), delayMillis});
      synchronized (this) {
        if (!stopping) {
          reconnector.schedule(
              () -> reconnect(next), delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      }
    }
  }

  private Destination destination() {
    if (!spec.isTopic()) {
      return new WarrenQueue(spec.getDestination());
    }
    if (spec.getExchange() != null && !spec.getExchange().isBlank()) {
      String key = spec.getBindingKey() != null ? spec.getBindingKey() : spec.getDestination();
      return new WarrenTopic(spec.getExchange(), key);
    }
    return new WarrenTopic(spec.getDestination());
  }

  private MessageConsumer consumer(Session session, Destination destination, String subscription)
      throws JMSException {
    String selector = spec.getMessageSelector();
    if (!(destination instanceof Topic topic)) {
      // On a queue the broker applies the selector: what does not match stays for others.
      return session.createConsumer(destination, selector);
    }
    return spec.isDurable()
        ? session.createSharedDurableConsumer(topic, subscription, selector)
        : session.createSharedConsumer(topic, subscription, selector);
  }

  MessageEndpointFactory factory() {
    return factory;
  }

  WarrenActivationSpec spec() {
    return spec;
  }

  /**
   * Stops consuming: every loop finishes the delivery it is running (waiting at most 30 s), then
   * the connection closes, which returns prefetched and uncommitted messages to their queues.
   */
  public void stop() {
    synchronized (this) {
      stopping = true;
      if (reconnector != null) {
        reconnector.shutdownNow();
      }
    }
    stopLoops();
    synchronized (this) {
      closeQuietly();
    }
    LOG.log(Level.INFO, "WARRENRA0015 endpoint deactivated on {0}", spec);
  }

  /** Lets every loop finish the delivery it is running (waiting at most 30 s) and return. */
  private void stopLoops() {
    List<DeliveryLoop> running;
    synchronized (this) {
      running = new ArrayList<>(loops);
    }
    for (DeliveryLoop loop : running) {
      loop.release();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MILLIS);
    for (DeliveryLoop loop : running) {
      if (!loop.awaitStopped(deadline)) {
        LOG.log(
            Level.WARNING,
            "WARRENRA0014 a delivery on {0} did not finish within {1} ms; closing anyway",
            new Object[] {spec, STOP_WAIT_MILLIS});
      }
    }
  }

  /** Whether the loops end because the connection was lost (not worth a warning each). */
  boolean reconnecting() {
    return reconnector != null && !stopping;
  }

  private void closeQuietly() {
    if (connection != null) {
      try {
        connection.close();
      } catch (JMSException e) {
        LOG.log(Level.FINE, "closing the activation's connection", e);
      }
      connection = null;
    }
  }
}
