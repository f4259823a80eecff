package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.jms.Connection;
import jakarta.jms.InvalidSelectorException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Message selectors on subscriptions and browsers (§3.8). */
class SelectorIT extends JmsTestSupport {

  private static Message message(Session s, String text, String color, int weight)
      throws JMSException {
    TextMessage m = s.createTextMessage(text);
    if (color != null) {
      m.setStringProperty("color", color);
    }
    m.setIntProperty("weight", weight);
    return m;
  }

  /** Receives {@code expected} messages (waiting for each), then checks that no more come. */
  private static List<String> drain(MessageConsumer consumer, int expected) throws Exception {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < expected; i++) {
      Message m = consumer.receive(WAIT_MILLIS);
      if (m == null) {
        break;
      }
      texts.add(((TextMessage) m).getText());
    }
    Message extra = consumer.receive(200);
    if (extra != null) {
      texts.add(((TextMessage) extra).getText());
    }
    return texts;
  }

  @Test
  void aSubscriberReceivesOnlyMatchingMessages() throws Exception {
    Session session = connection().createSession();
    Topic topic = session.createTopic(unique("fruit"));
    MessageConsumer red = session.createConsumer(topic, "color = 'red' AND weight > 100");
    MessageConsumer like = session.createConsumer(topic, "color LIKE 'b%' OR color IS NULL");
    MessageConsumer in = session.createConsumer(topic, "color IN ('green', 'blue')");
    MessageConsumer between = session.createConsumer(topic, "weight BETWEEN 10 AND 20");
    MessageProducer producer = session.createProducer(topic);
    producer.send(message(session, "apple", "red", 150));
    producer.send(message(session, "cherry", "red", 15));
    producer.send(message(session, "blueberry", "blue", 2));
    producer.send(message(session, "mystery", null, 500));
    producer.send(message(session, "lime", "green", 12));

    assertEquals(List.of("apple"), drain(red, 1));
    assertEquals(List.of("blueberry", "mystery"), drain(like, 2));
    assertEquals(List.of("blueberry", "lime"), drain(in, 2));
    assertEquals(List.of("cherry", "lime"), drain(between, 2));
    assertEquals("color = 'red' AND weight > 100", red.getMessageSelector());
  }

  @Test
  void selectorsSeeTheSelectableHeaderFields() throws Exception {
    Session session = connection().createSession();
    Topic topic = session.createTopic(unique("headers"));
    MessageConsumer urgent = session.createConsumer(topic, "JMSPriority > 6 AND JMSType = 'alert'");
    MessageConsumer transientOnly =
        session.createConsumer(topic, "JMSDeliveryMode = 'NON_PERSISTENT'");
    MessageProducer producer = session.createProducer(topic);
    Message alert = session.createTextMessage("fire");
    alert.setJMSType("alert");
    producer.send(alert, jakarta.jms.DeliveryMode.PERSISTENT, 9, 0);
    Message low = session.createTextMessage("drip");
    low.setJMSType("alert");
    producer.send(low, jakarta.jms.DeliveryMode.NON_PERSISTENT, 1, 0);
    assertEquals(List.of("fire"), drain(urgent, 1));
    assertEquals(List.of("drip"), drain(transientOnly, 1));
  }

  @Test
  void aDurableSubscriptionWithASelectorKeepsOnlyMatchingMessages() throws Exception {
    Connection connection = track(factory().createConnection());
    connection.setClientID(unique("selecting"));
    connection.start();
    Session session = connection.createSession();
    Topic topic = session.createTopic(unique("durable-select"));
    MessageConsumer consumer = session.createDurableConsumer(topic, "heavy", "weight > 5", false);
    MessageProducer producer = session.createProducer(topic);
    producer.send(message(session, "light", "x", 1));
    producer.send(message(session, "heavy", "x", 9));
    assertEquals(List.of("heavy"), drain(consumer, 1));
    consumer.close();
    session.unsubscribe("heavy");
  }

  @Test
  void aBrowserWithASelectorShowsOnlyMatchingMessages() throws Exception {
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("browse-select"));
    MessageProducer producer = session.createProducer(queue);
    producer.send(message(session, "a", "red", 1));
    producer.send(message(session, "b", "blue", 1));
    QueueBrowser browser = session.createBrowser(queue, "color = 'blue'");
    Enumeration<?> e = browser.getEnumeration();
    assertEquals("b", ((TextMessage) e.nextElement()).getText());
    assertEquals(false, e.hasMoreElements());
  }

  @Test
  void anInvalidSelectorIsRefusedWithInvalidSelectorException() throws Exception {
    Session session = connection().createSession();
    Topic topic = session.createTopic(unique("bad"));
    assertThrows(InvalidSelectorException.class, () -> session.createConsumer(topic, "color = "));
    assertThrows(
        InvalidSelectorException.class,
        () -> session.createBrowser(session.createQueue(unique("q")), "AND OR"));
  }

  @Test
  void aQueueConsumerWithASelectorIsRefusedAndWithoutOneAccepted() throws Exception {
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("queue-select"));
    JMSException refused =
        assertThrows(JMSException.class, () -> session.createConsumer(queue, "weight > 1"));
    assertEquals(JMSException.class, refused.getClass());
    assertNotNull(session.createConsumer(queue, "  "));
    assertNull(session.createConsumer(queue, null).getMessageSelector());
  }
}
