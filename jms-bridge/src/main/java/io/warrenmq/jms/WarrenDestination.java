package io.warrenmq.jms;

import jakarta.jms.Destination;
import java.io.Serializable;
import java.util.Objects;

/**
 * Where a JMS destination lives in AMQP terms: the exchange and routing key a producer publishes
 * with, and for queues the queue a consumer reads. Its {@link #address} is what goes into an AMQP
 * {@code reply_to}: a queue's plain name (so that plain AMQP clients reply through the default
 * exchange), or {@code /exchange/NAME/KEY} for a topic, RabbitMQ's address form.
 */
public abstract class WarrenDestination implements Destination, Serializable {
  private static final long serialVersionUID = 1L;
  static final String EXCHANGE_PREFIX = "/exchange/";
  static final String QUEUE_PREFIX = "/queue/";

  /** The exchange producers publish to ({@code ""} is the default exchange). */
  public abstract String exchange();

  /** The routing key producers publish with (for topics also the subscription binding key). */
  public abstract String routingKey();

  /** The reply-to address of this destination. */
  public abstract String address();

  /**
   * The destination an AMQP {@code reply_to} names: {@code /exchange/X/KEY} is a topic on exchange
   * X, {@code /queue/NAME} and anything else a queue of that name.
   */
  public static WarrenDestination fromAddress(String address) {
    if (address == null) {
      return null;
    }
    if (address.startsWith(EXCHANGE_PREFIX)) {
      String rest = address.substring(EXCHANGE_PREFIX.length());
      int slash = rest.indexOf('/');
      return slash < 0
          ? new WarrenTopic(rest, "")
          : new WarrenTopic(rest.substring(0, slash), rest.substring(slash + 1));
    }
    if (address.startsWith(QUEUE_PREFIX)) {
      return new WarrenQueue(address.substring(QUEUE_PREFIX.length()));
    }
    return new WarrenQueue(address);
  }

  /** Equal when they address the same thing: a temporary queue equals its name as a queue. */
  @Override
  public boolean equals(Object o) {
    return o instanceof WarrenDestination d
        && (this instanceof jakarta.jms.Queue) == (d instanceof jakarta.jms.Queue)
        && exchange().equals(d.exchange())
        && routingKey().equals(d.routingKey());
  }

  @Override
  public int hashCode() {
    return Objects.hash(exchange(), routingKey());
  }

  @Override
  public String toString() {
    return address();
  }
}
