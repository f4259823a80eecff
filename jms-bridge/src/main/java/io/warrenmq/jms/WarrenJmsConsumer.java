package io.warrenmq.jms;

import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;

/**
 * The simplified API's consumer: a {@link WarrenMessageConsumer} (or a handle's consumer) with
 * runtime exceptions.
 */
final class WarrenJmsConsumer implements JMSConsumer {
  private final jakarta.jms.MessageConsumer consumer;

  WarrenJmsConsumer(jakarta.jms.MessageConsumer consumer) {
    this.consumer = consumer;
  }

  @Override
  public String getMessageSelector() {
    try {
      return consumer.getMessageSelector();
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public MessageListener getMessageListener() {
    try {
      return consumer.getMessageListener();
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public void setMessageListener(MessageListener listener) {
    try {
      consumer.setMessageListener(listener);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public Message receive() {
    try {
      return consumer.receive();
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public Message receive(long timeout) {
    try {
      return consumer.receive(timeout);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public Message receiveNoWait() {
    try {
      return consumer.receiveNoWait();
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public void close() {
    try {
      consumer.close();
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }

  @Override
  public <T> T receiveBody(Class<T> c) {
    return body(c, 0, false);
  }

  @Override
  public <T> T receiveBody(Class<T> c, long timeout) {
    return body(c, timeout, false);
  }

  @Override
  public <T> T receiveBodyNoWait(Class<T> c) {
    return body(c, 0, true);
  }

  private <T> T body(Class<T> c, long timeout, boolean noWait) {
    try {
      if (consumer instanceof WarrenMessageConsumer w) {
        // Checks the body type before the message is acknowledged (§8.6.1).
        return w.receiveBody(c, timeout, noWait);
      }
      Message m = noWait ? consumer.receiveNoWait() : consumer.receive(timeout);
      return m == null ? null : m.getBody(c);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }
}
