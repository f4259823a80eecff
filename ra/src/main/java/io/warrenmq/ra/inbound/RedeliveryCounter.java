package io.warrenmq.ra.inbound;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Failed deliveries per message, shared by an activation's sessions. The JMS session counts {@code
 * JMSXDeliveryCount} only for what it saw itself, so a message rolled back in one session and
 * redelivered to another would start again at 2; and a message without a message id (from a plain
 * AMQP client) cannot be counted by the session at all. Bounded: the oldest entries go first.
 */
final class RedeliveryCounter {
  private final Map<String, Integer> failures;

  RedeliveryCounter(int capacity) {
    this.failures =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > capacity;
          }
        };
  }

  /** How often this message has been delivered before and not acknowledged. */
  synchronized int redeliveries(Message m) throws JMSException {
    int counted = failures.getOrDefault(key(m), 0);
    int session = m.propertyExists("JMSXDeliveryCount") ? m.getIntProperty("JMSXDeliveryCount") : 1;
    int fromSession = Math.max(0, session - 1);
    return Math.max(counted, fromSession);
  }

  synchronized void failed(Message m) throws JMSException {
    failures.merge(key(m), 1, Integer::sum);
  }

  synchronized void settled(Message m) throws JMSException {
    failures.remove(key(m));
  }

  /**
   * The message id, or for a message without one a fingerprint of what a plain AMQP client sets:
   * correlation id, timestamp, type and the body's hash.
   */
  private static String key(Message m) throws JMSException {
    if (m.getJMSMessageID() != null) {
      return m.getJMSMessageID();
    }
    String body;
    try {
      Object b = m.getBody(Object.class);
      body =
          b instanceof byte[] bytes ? Integer.toString(java.util.Arrays.hashCode(bytes)) : "" + b;
    } catch (JMSException e) {
      body = "";
    }
    return "fp:"
        + m.getJMSCorrelationID()
        + "/"
        + m.getJMSTimestamp()
        + "/"
        + m.getJMSType()
        + "/"
        + body.hashCode();
  }
}
