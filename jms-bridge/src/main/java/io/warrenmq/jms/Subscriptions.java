package io.warrenmq.jms;

import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;

/**
 * Where each kind of consumer reads from. A queue consumer reads the queue itself. A topic
 * subscription is a queue bound to the topic's exchange with the topic name as binding key:
 *
 * <ul>
 *   <li>a plain subscriber: an exclusive server-named queue, gone when the consumer closes;
 *   <li>a durable subscription: the durable queue {@code jms.durable.CLIENTID.NAME} (a client id is
 *       required), deleted by unsubscribe;
 *   <li>a shared subscription: {@code jms.shared.CLIENTID.NAME} (client id empty when unset),
 *       auto-deleted after its last consumer;
 *   <li>a shared durable subscription: the durable queue {@code jms.shared-durable.CLIENTID.NAME}.
 * </ul>
 */
final class Subscriptions {
  private Subscriptions() {}

  /** The queue a consumer reads, and whether it must be the queue's only consumer. */
  record Target(String queue, boolean exclusive, boolean deleteOnClose) {}

  /**
   * A queue consumer's selector needs a broker that filters consumers (WarrenMQ): the provider sees
   * messages only once the broker has handed them over, and could only put non-matching ones back
   * in front of itself again, so against RabbitMQ it is refused.
   */
  static void checkQueueSelector(WarrenConnection connection, MessageSelector selector)
      throws JMSException {
    if (selector != null && !connection.link().filtersConsumers()) {
      throw new JMSException(
          "message selectors on queue consumers need a broker that filters consumers (WarrenMQ):"
              + " this broker cannot leave non-matching messages on the queue for other consumers"
              + " ('"
              + selector.text()
              + "')");
    }
  }

  static Target queue(WarrenConnection connection, String name) throws JMSException {
    connection.ensureQueue(name);
    return new Target(name, false, false);
  }

  static Target privateSubscription(WarrenConnection connection, WarrenTopic topic)
      throws JMSException {
    connection.ensureExchange(topic.exchange());
    try {
      LinkSession admin = connection.admin();
      String queue = admin.declareQueue("", false, true, true, null);
      admin.bindQueue(queue, topic.exchange(), topic.routingKey());
      return new Target(queue, true, true);
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot subscribe to " + topic, e);
    }
  }

  static Target durable(WarrenConnection connection, WarrenTopic topic, String name)
      throws JMSException {
    String clientId = connection.getClientID();
    if (clientId == null) {
      throw new IllegalStateException("an unshared durable subscription needs a client id");
    }
    checkName(name);
    return bound(connection, topic, "jms.durable." + clientId + "." + name, true, true);
  }

  static Target shared(WarrenConnection connection, WarrenTopic topic, String name, boolean durable)
      throws JMSException {
    checkName(name);
    String clientId = connection.getClientID();
    String prefix = durable ? "jms.shared-durable." : "jms.shared.";
    String queue = prefix + (clientId == null ? "" : clientId) + "." + name;
    return bound(connection, topic, queue, durable, false);
  }

  private static void checkName(String name) throws JMSException {
    if (name == null || name.isEmpty()) {
      throw new JMSException("a subscription needs a name");
    }
  }

  private static Target bound(
      WarrenConnection connection,
      WarrenTopic topic,
      String queue,
      boolean durable,
      boolean exclusive)
      throws JMSException {
    connection.ensureExchange(topic.exchange());
    try {
      LinkSession admin = connection.admin();
      admin.declareQueue(queue, durable, false, !durable, null);
      admin.bindQueue(queue, topic.exchange(), topic.routingKey());
      return new Target(queue, exclusive, false);
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot subscribe to " + topic, e);
    }
  }

  /** Deletes the durable subscription {@code name}: its queue, with any messages in it. */
  static void unsubscribe(WarrenConnection connection, String name) throws JMSException {
    checkName(name);
    String clientId = connection.getClientID();
    String[] candidates = {
      clientId == null ? null : "jms.durable." + clientId + "." + name,
      "jms.shared-durable." + (clientId == null ? "" : clientId) + "." + name
    };
    try {
      LinkSession admin = connection.admin();
      for (String queue : candidates) {
        if (queue == null) {
          continue;
        }
        if (connection.hasActiveSubscription(queue)) {
          throw new IllegalStateException("subscription '" + name + "' has an active consumer");
        }
        if (admin.queueExists(queue)) {
          admin.deleteQueue(queue);
          connection.forgetQueue(queue);
          return;
        }
      }
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot unsubscribe '" + name + "'", e);
    }
    throw new InvalidDestinationException("no durable subscription '" + name + "'");
  }
}
