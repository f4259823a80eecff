package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import org.junit.jupiter.api.Test;

/** Delivery delay (§7.9): a message is never delivered before its delivery time. */
class DeliveryDelayIT extends JmsTestSupport {
  private static final long DELAY = 400;
  private static final long OVERTAKE_DELAY = 1500;

  @Test
  void aDelayedMessageArrivesNoEarlierThanItsDeliveryTimeAndOthersOvertakeIt() throws Exception {
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("delayed"));
    MessageConsumer consumer = session.createConsumer(queue);
    MessageProducer producer = session.createProducer(queue);
    // Long enough that "now" is delivered well before "late" is due, even on a loaded machine.
    producer.setDeliveryDelay(OVERTAKE_DELAY);
    TextMessage late = session.createTextMessage("late");
    producer.send(late);
    producer.setDeliveryDelay(0);
    producer.send(session.createTextMessage("now"));

    assertEquals("now", ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
    Message m = consumer.receive(WAIT_MILLIS);
    long arrived = System.currentTimeMillis();
    assertNotNull(m, "the delayed message never came");
    assertEquals("late", ((TextMessage) m).getText());
    assertEquals(late.getJMSTimestamp() + OVERTAKE_DELAY, m.getJMSDeliveryTime());
    assertTrue(arrived >= m.getJMSDeliveryTime(), "delivered before its delivery time");
  }

  @Test
  void aListenerGetsADelayedTopicMessageWhenItIsDue() throws Exception {
    try (JMSContext context = factory().createContext()) {
      Topic topic = context.createTopic(unique("delayed-topic"));
      JMSConsumer consumer = context.createConsumer(topic);
      long sent = System.currentTimeMillis();
      context.createProducer().setDeliveryDelay(DELAY).send(topic, "tick");
      assertEquals("tick", consumer.receiveBody(String.class, WAIT_MILLIS));
      assertTrue(System.currentTimeMillis() - sent >= DELAY, "delivered early");
    }
  }

  @Test
  void closingAConsumerHandsItsHeldMessagesBack() throws Exception {
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("delayed-close"));
    MessageProducer producer = session.createProducer(queue);
    producer.setDeliveryDelay(DELAY);
    producer.send(session.createTextMessage("held"));
    MessageConsumer first = session.createConsumer(queue);
    assertNull(first.receiveNoWait());
    first.close();
    MessageConsumer second = connection().createSession().createConsumer(queue);
    assertEquals("held", ((TextMessage) second.receive(WAIT_MILLIS)).getText());
  }
}
