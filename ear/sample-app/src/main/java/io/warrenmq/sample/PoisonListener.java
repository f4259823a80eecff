package io.warrenmq.sample;

import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.MessageDriven;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;

/**
 * A bean that always fails: each message on {@code poison_queue} is delivered three times (two
 * redeliveries) and then moved to {@code poison_dlq}.
 */
@MessageDriven(
    activationConfig = {
      @ActivationConfigProperty(propertyName = "destination", propertyValue = "poison_queue"),
      @ActivationConfigProperty(
          propertyName = "destinationType",
          propertyValue = "jakarta.jms.Queue"),
      @ActivationConfigProperty(propertyName = "maxSession", propertyValue = "1"),
      @ActivationConfigProperty(propertyName = "maxRedeliveries", propertyValue = "2"),
      @ActivationConfigProperty(propertyName = "deadLetterQueue", propertyValue = "poison_dlq")
    })
public class PoisonListener implements MessageListener {
  @Override
  public void onMessage(Message message) {
    throw new IllegalStateException("this bean refuses every message");
  }
}
