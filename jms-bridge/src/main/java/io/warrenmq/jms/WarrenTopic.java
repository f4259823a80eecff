package io.warrenmq.jms;

import jakarta.jms.Topic;

/**
 * A JMS topic: publishing goes to a topic exchange ({@code amq.topic} unless named otherwise) with
 * the topic name as routing key; each subscriber reads a queue of its own bound with the topic
 * name, in which the AMQP wildcards {@code *} and {@code #} may appear. On another exchange (any
 * type) the same pair addresses "this exchange with this routing key".
 */
public class WarrenTopic extends WarrenDestination implements Topic {
  private static final long serialVersionUID = 1L;
  public static final String DEFAULT_EXCHANGE = "amq.topic";
  private final String exchange;
  private final String name;

  public WarrenTopic(String name) {
    this(DEFAULT_EXCHANGE, name);
  }

  public WarrenTopic(String exchange, String name) {
    if (exchange == null || name == null) {
      throw new IllegalArgumentException("a topic needs an exchange and a name");
    }
    this.exchange = exchange;
    this.name = name;
  }

  @Override
  public String getTopicName() {
    return DEFAULT_EXCHANGE.equals(exchange) ? name : address();
  }

  @Override
  public String exchange() {
    return exchange;
  }

  @Override
  public String routingKey() {
    return name;
  }

  @Override
  public String address() {
    return EXCHANGE_PREFIX + exchange + "/" + name;
  }
}
