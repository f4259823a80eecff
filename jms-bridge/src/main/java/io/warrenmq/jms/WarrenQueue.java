package io.warrenmq.jms;

import jakarta.jms.Queue;

/**
 * A JMS queue: the AMQP queue of the same name, which producers reach through the default exchange
 * with the queue's name as routing key.
 */
public class WarrenQueue extends WarrenDestination implements Queue {
  private static final long serialVersionUID = 1L;
  private final String name;

  public WarrenQueue(String name) {
    if (name == null) {
      throw new IllegalArgumentException("a queue needs a name");
    }
    this.name = name;
  }

  @Override
  public String getQueueName() {
    return name;
  }

  @Override
  public String exchange() {
    return "";
  }

  @Override
  public String routingKey() {
    return name;
  }

  @Override
  public String address() {
    return name;
  }
}
