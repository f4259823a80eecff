package io.warrenmq.ra.inbound;

import com.rabbitmq.client.Channel;
import io.warrenmq.jms.WarrenConnectionFactory;
import io.warrenmq.jms.WarrenQueue;
import io.warrenmq.jms.WarrenTopic;
import jakarta.jms.Connection;
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
 * <p>Topics are consumed through shared subscriptions (durable or not) so that the sessions share
 * one subscription's messages instead of each getting a copy.
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

  private final URI uri;
  private final WarrenActivationSpec spec;
  private final MessageEndpointFactory factory;
  private final WorkManager workManager;
  private final RedeliveryCounter counter = new RedeliveryCounter(10_000);
  private final List<DeliveryLoop> loops = new ArrayList<>();
  private Connection connection;

  public Activation(
      URI uri, WarrenActivationSpec spec, MessageEndpointFactory factory, WorkManager workManager) {
    this.uri = uri;
    this.spec = spec;
    this.factory = factory;
    this.workManager = workManager;
  }

  /** Connects, subscribes and schedules the delivery loops. */
  public void start() throws ResourceException {
    boolean transacted;
    try {
      transacted = factory.isDeliveryTransacted(ON_MESSAGE);
    } catch (NoSuchMethodException e) {
      throw new ResourceAdapterInternalException("the endpoint is not a MessageListener", e);
    }
    try {
      if (spec.getExchange() != null && !spec.getExchange().isBlank() && !spec.isTopic()) {
        bindQueue();
      }
      WarrenConnectionFactory cf = new WarrenConnectionFactory(uri.toString());
      cf.setPrefetch(spec.getPrefetch());
      connection =
          spec.getUser() == null
              ? cf.createConnection()
              : cf.createConnection(spec.getUser(), spec.getPassword());
      if (spec.getClientId() != null && !spec.getClientId().isBlank()) {
        connection.setClientID(spec.getClientId());
      }
      Destination destination = destination();
      String subscription =
          spec.getSubscriptionName() == null || spec.getSubscriptionName().isBlank()
              ? "mdb." + UUID.randomUUID()
              : spec.getSubscriptionName();
      for (int i = 0; i < spec.getMaxSession(); i++) {
        Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
        MessageConsumer consumer = consumer(session, destination, subscription);
        loops.add(
            new DeliveryLoop(
                this, session, consumer, transacted, spec.getMaxRedeliveries(), counter));
      }
      connection.start();
    } catch (JMSException | java.io.IOException | RuntimeException e) {
      closeQuietly();
      throw new ResourceAdapterInternalException(
          "WARRENRA0011 cannot activate the endpoint for " + spec + ": " + e.getMessage(), e);
    }
    for (DeliveryLoop loop : loops) {
      try {
        workManager.scheduleWork(loop, WorkManager.INDEFINITE, null, null);
      } catch (WorkException e) {
        stop();
        throw new ResourceAdapterInternalException(
            "WARRENRA0012 the WorkManager refused a delivery loop for " + spec, e);
      }
    }
    LOG.log(
        Level.INFO,
        "WARRENRA0013 endpoint activated on {0} with {1} sessions ({2})",
        new Object[] {
          spec, spec.getMaxSession(), transacted ? "container transaction" : "no transaction"
        });
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

  /** AMQP: the queue is bound to {@code exchange} with {@code bindingKey} (default its name). */
  private void bindQueue() throws java.io.IOException {
    com.rabbitmq.client.ConnectionFactory amqp = new com.rabbitmq.client.ConnectionFactory();
    try {
      amqp.setUri(uri);
    } catch (Exception e) {
      throw new java.io.IOException("bad broker URI", e);
    }
    if (spec.getUser() != null) {
      amqp.setUsername(spec.getUser());
      amqp.setPassword(spec.getPassword());
    }
    amqp.setAutomaticRecoveryEnabled(false);
    String queue = spec.getDestination();
    String key = spec.getBindingKey() != null ? spec.getBindingKey() : queue;
    try (com.rabbitmq.client.Connection c = amqp.newConnection("warren-ra-bind")) {
      Channel channel = c.createChannel();
      try {
        channel.queueDeclarePassive(queue);
      } catch (java.io.IOException missing) {
        channel = c.createChannel();
        channel.queueDeclare(queue, true, false, false, null);
      }
      channel.queueBind(queue, spec.getExchange(), key);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new java.io.IOException("timed out binding " + queue, e);
    }
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
    for (DeliveryLoop loop : loops) {
      loop.release();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MILLIS);
    for (DeliveryLoop loop : loops) {
      if (!loop.awaitStopped(deadline)) {
        LOG.log(
            Level.WARNING,
            "WARRENRA0014 a delivery on {0} did not finish within {1} ms; closing anyway",
            new Object[] {spec, STOP_WAIT_MILLIS});
      }
    }
    closeQuietly();
    LOG.log(Level.INFO, "WARRENRA0015 endpoint deactivated on {0}", spec);
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
