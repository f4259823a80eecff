package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import jakarta.jms.Connection;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Browsing a queue shows its messages in order and leaves them there. */
class QueueBrowserIT extends JmsTestSupport {

  @Test
  void aBrowserSeesTheMessagesInOrderAndLeavesThemInTheQueue() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession();
    Queue queue = session.createQueue(unique("browse"));
    MessageProducer producer = session.createProducer(queue);
    for (String t : List.of("a", "b", "c")) {
      producer.send(session.createTextMessage(t));
    }
    QueueBrowser browser = session.createBrowser(queue);
    List<String> seen = new ArrayList<>();
    Enumeration<?> messages = browser.getEnumeration();
    while (messages.hasMoreElements()) {
      seen.add(((TextMessage) messages.nextElement()).getText());
    }
    assertEquals(List.of("a", "b", "c"), seen);
    browser.close();

    MessageConsumer consumer = session.createConsumer(queue);
    for (String t : List.of("a", "b", "c")) {
      assertEquals(t, ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
    }
  }

  @Test
  void browsingAnEmptyQueueShowsNothing() throws Exception {
    Session session = connection().createSession();
    QueueBrowser browser = session.createBrowser(session.createQueue(unique("empty")));
    assertFalse(browser.getEnumeration().hasMoreElements());
  }
}
