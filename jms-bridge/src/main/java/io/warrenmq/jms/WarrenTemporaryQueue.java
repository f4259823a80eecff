package io.warrenmq.jms;

import io.warrenmq.jms.link.LinkException;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.TemporaryQueue;

/**
 * A temporary queue: an exclusive, server-named ({@code amq.gen-…}) queue of the connection that
 * created it, so only that connection consumes from it and it vanishes with the connection.
 */
public final class WarrenTemporaryQueue extends WarrenQueue implements TemporaryQueue {
  private static final long serialVersionUID = 1L;
  private final transient WarrenConnection owner;

  WarrenTemporaryQueue(String name, WarrenConnection owner) {
    super(name);
    this.owner = owner;
  }

  WarrenConnection owner() {
    return owner;
  }

  @Override
  public void delete() throws JMSException {
    owner.checkOpen();
    if (owner.hasConsumerOn(this)) {
      throw new IllegalStateException("the temporary queue still has consumers");
    }
    try {
      owner.admin().deleteQueue(getQueueName());
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot delete the temporary queue", e);
    }
    owner.removeTemporary(this);
  }
}
