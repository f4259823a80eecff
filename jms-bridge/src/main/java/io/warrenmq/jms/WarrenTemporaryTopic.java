package io.warrenmq.jms;

import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.TemporaryTopic;

/**
 * A temporary topic: a routing key of {@code amq.topic} that nobody else uses ({@code
 * jms.temp-topic.UUID}); its subscribers are the creating connection's.
 */
public final class WarrenTemporaryTopic extends WarrenTopic implements TemporaryTopic {
  private static final long serialVersionUID = 1L;
  private final transient WarrenConnection owner;
  private volatile boolean deleted;

  WarrenTemporaryTopic(String name, WarrenConnection owner) {
    super(DEFAULT_EXCHANGE, name);
    this.owner = owner;
  }

  WarrenConnection owner() {
    return owner;
  }

  boolean isDeleted() {
    return deleted;
  }

  @Override
  public void delete() throws JMSException {
    owner.checkOpen();
    if (owner.hasConsumerOn(this)) {
      throw new IllegalStateException("the temporary topic still has subscribers");
    }
    deleted = true;
    owner.removeTemporary(this);
  }
}
