package io.warrenmq.ra;

import io.warrenmq.jms.WarrenDestination;
import jakarta.jms.Topic;

/**
 * The Topic admin object: a JavaBean with a {@code name}, published to {@code amq.topic} with the
 * name as routing key, as the provider's own topics are.
 */
public class WarrenTopic extends WarrenDestination implements Topic {
  private static final long serialVersionUID = 1L;
  private String name;

  public WarrenTopic() {}

  public WarrenTopic(String name) {
    this.name = name;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  @Override
  public String getTopicName() {
    return name;
  }

  @Override
  public String exchange() {
    return io.warrenmq.jms.WarrenTopic.DEFAULT_EXCHANGE;
  }

  @Override
  public String routingKey() {
    return name;
  }

  @Override
  public String address() {
    return "/exchange/" + exchange() + "/" + name;
  }

  io.warrenmq.jms.WarrenTopic toProvider() {
    return new io.warrenmq.jms.WarrenTopic(name);
  }
}
