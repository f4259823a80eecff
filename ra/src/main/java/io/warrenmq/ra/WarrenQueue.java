package io.warrenmq.ra;

import io.warrenmq.jms.WarrenDestination;
import jakarta.jms.Queue;

/**
 * The Queue admin object ({@code adminobject} in ra.xml): a JavaBean with a {@code name}, bound in
 * JNDI by the application server, the same AMQP queue as the provider's own queue of that name.
 */
public class WarrenQueue extends WarrenDestination implements Queue {
  private static final long serialVersionUID = 1L;
  private String name;

  public WarrenQueue() {}

  public WarrenQueue(String name) {
    this.name = name;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
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

  /** The provider's own queue, which its sessions take everywhere. */
  io.warrenmq.jms.WarrenQueue toProvider() {
    return new io.warrenmq.jms.WarrenQueue(name);
  }
}
