package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
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

/**
 * Message selectors (§3.8) on subscriptions and browsers, which the provider applies, and on queue
 * consumers, which the broker applies so that what does not match stays for other consumers.
 */
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
  void aQueueConsumerWithASelectorIsRefusedByABrokerThatCannotFilter() throws Exception {
    assumeTrue(broker() == null, "RabbitMQ cannot filter a queue for a consumer; WarrenMQ can");
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("queue-select"));
    JMSException refused =
        assertThrows(JMSException.class, () -> session.createConsumer(queue, "weight > 1"));
    assertEquals(JMSException.class, refused.getClass());
    assertNotNull(session.createConsumer(queue, "  "));
    assertNull(session.createConsumer(queue, null).getMessageSelector());
  }

  @Test
  void queueConsumersWithSelectorsEachTakeTheirOwnAndLeaveTheRest() throws Exception {
    assumeTrue(broker() != null, "queue selectors need a broker that filters consumers");
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("queue-select"));
    MessageConsumer red = session.createConsumer(queue, "color = 'red'");
    MessageConsumer heavy = session.createConsumer(queue, "color <> 'red' AND weight > 100");
    assertEquals("color = 'red'", red.getMessageSelector());
    MessageProducer producer = session.createProducer(queue);
    List<String> reds = new ArrayList<>();
    List<String> heavies = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String color = i % 3 == 0 ? "red" : i % 3 == 1 ? "blue" : null;
      int weight = i % 2 == 0 ? 50 : 150;
      producer.send(message(session, "m" + i, color, weight));
      if ("red".equals(color)) {
        reds.add("m" + i);
      } else if (color != null && weight > 100) {
        heavies.add("m" + i);
      } else {
        rest.add("m" + i);
      }
    }
    assertEquals(reds, drain(red, reds.size()));
    assertEquals(heavies, drain(heavy, heavies.size()));
    red.close();
    heavy.close();
    assertEquals(rest, drain(session.createConsumer(queue), rest.size()));
  }

  @Test
  void aQueueSelectorSeesHeaderFieldsAndMessagesFromPlainAmqpClients() throws Exception {
    assumeTrue(broker() != null, "queue selectors need a broker that filters consumers");
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("queue-headers"));
    MessageConsumer urgent =
        session.createConsumer(
            queue, "JMSPriority >= 7 AND JMSType = 'order' AND JMSCorrelationID LIKE 'c-%'");
    MessageConsumer fromAmqp = session.createConsumer(queue, "source = 'amqp' AND n = 42");
    MessageProducer producer = session.createProducer(queue);
    TextMessage low = session.createTextMessage("low");
    low.setJMSType("order");
    low.setJMSCorrelationID("c-1");
    producer.send(low, DeliveryMode.PERSISTENT, 4, 0);
    TextMessage high = session.createTextMessage("high");
    high.setJMSType("order");
    high.setJMSCorrelationID("c-2");
    producer.send(high, DeliveryMode.PERSISTENT, 8, 0);
    com.rabbitmq.client.Channel amqp = amqpConnection().createChannel();
    amqp.basicPublish(
        "",
        queue.getQueueName(),
        new com.rabbitmq.client.AMQP.BasicProperties.Builder()
            .contentType("text/plain")
            .headers(java.util.Map.of("source", "amqp", "n", 42))
            .build(),
        "plain".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(List.of("high"), drain(urgent, 1));
    assertEquals(List.of("plain"), drain(fromAmqp, 1));
    urgent.close();
    fromAmqp.close();
    assertEquals(List.of("low"), drain(session.createConsumer(queue), 1));
  }

  @Test
  void aRolledBackSelectedMessageComesBackToItsSelector() throws Exception {
    assumeTrue(broker() != null, "queue selectors need a broker that filters consumers");
    Session session = connection().createSession(true, Session.SESSION_TRANSACTED);
    Queue queue = session.createQueue(unique("queue-tx"));
    MessageProducer producer = session.createProducer(queue);
    producer.send(message(session, "blue", "blue", 1));
    producer.send(message(session, "red", "red", 1));
    session.commit();
    MessageConsumer red = session.createConsumer(queue, "color = 'red'");
    Message first = notNull(red.receive(WAIT_MILLIS), "the red message");
    assertEquals("red", ((TextMessage) first).getText());
    session.rollback();
    Message again = notNull(red.receive(WAIT_MILLIS), "the red message again");
    assertEquals("red", ((TextMessage) again).getText());
    assertTrue(again.getJMSRedelivered());
    assertEquals(2, again.getIntProperty("JMSXDeliveryCount"));
    session.commit();
    red.close();
    assertEquals(List.of("blue"), drain(session.createConsumer(queue), 1));
    session.commit();
  }

  @Test
  void aListenerWithAQueueSelectorGetsOnlyItsMessages() throws Exception {
    assumeTrue(broker() != null, "queue selectors need a broker that filters consumers");
    Session session = connection().createSession();
    Queue queue = session.createQueue(unique("queue-listener"));
    java.util.concurrent.BlockingQueue<String> heard =
        new java.util.concurrent.LinkedBlockingQueue<>();
    session
        .createConsumer(queue, "weight BETWEEN 10 AND 20")
        .setMessageListener(
            m -> {
              try {
                heard.add(((TextMessage) m).getText());
              } catch (JMSException e) {
                heard.add("error: " + e);
              }
            });
    Session sender = connection().createSession();
    MessageProducer producer = sender.createProducer(queue);
    for (int w = 5; w <= 25; w += 5) {
      producer.send(message(sender, "w" + w, null, w));
    }
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      got.add(heard.poll(WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS));
    }
    assertEquals(List.of("w10", "w15", "w20"), got);
    assertNull(heard.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS));
  }
}
