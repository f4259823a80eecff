package io.warrenmq.jms;

import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;

/** The simplified API's consumer: a {@link WarrenMessageConsumer} with runtime exceptions. */
final class WarrenJmsConsumer implements JMSConsumer {
  private final WarrenMessageConsumer consumer;

  WarrenJmsConsumer(WarrenMessageConsumer consumer) {
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
      return consumer.receiveBody(c, timeout, noWait);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    }
  }
}
