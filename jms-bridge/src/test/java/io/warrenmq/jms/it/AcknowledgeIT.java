package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Acknowledgement modes, recover, and the redelivery flag and count they produce. */
class AcknowledgeIT extends JmsTestSupport {

  private Queue sendTexts(Session session, String... texts) throws Exception {
    Queue queue = session.createQueue(unique("ack"));
    MessageProducer producer = session.createProducer(queue);
    for (String t : texts) {
      producer.send(session.createTextMessage(t));
    }
    return queue;
  }

  private static String text(Message m) throws Exception {
    return ((TextMessage) m).getText();
  }

  @Test
  void clientAcknowledgeThenRecoverRedeliversEverythingUnacknowledgedInOrderWithACount()
      throws Exception {
    Session session = connection().createSession(false, Session.CLIENT_ACKNOWLEDGE);
    Queue queue = sendTexts(session, "a", "b", "c");
    MessageConsumer consumer = session.createConsumer(queue);
    Message a = consumer.receive(WAIT_MILLIS);
    assertEquals("a", text(a));
    a.acknowledge();
    Message b = consumer.receive(WAIT_MILLIS);
    assertEquals("b", text(b));
    assertFalse(b.getJMSRedelivered());
    assertEquals(1, b.getIntProperty("JMSXDeliveryCount"));

    session.recover();

    Message b2 = consumer.receive(WAIT_MILLIS);
    assertEquals("b", text(b2));
    assertTrue(b2.getJMSRedelivered());
    assertEquals(2, b2.getIntProperty("JMSXDeliveryCount"));
    Message c = consumer.receive(WAIT_MILLIS);
    assertEquals("c", text(c));
    assertFalse(c.getJMSRedelivered(), "c was prefetched but never handed over");
    assertEquals(1, c.getIntProperty("JMSXDeliveryCount"));

    session.recover();
    assertEquals(3, consumer.receive(WAIT_MILLIS).getIntProperty("JMSXDeliveryCount"));
    Message c2 = consumer.receive(WAIT_MILLIS);
    assertEquals(2, c2.getIntProperty("JMSXDeliveryCount"));
    c2.acknowledge();
    session.recover();
    assertNull(consumer.receive(200));
  }

  @Test
  void unacknowledgedMessagesOfAClosedSessionGoToTheNextConsumer() throws Exception {
    Connection connection = connection();
    Session first = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    Queue queue = sendTexts(first, "kept");
    assertEquals("kept", text(first.createConsumer(queue).receive(WAIT_MILLIS)));
    first.close();

    Session second = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Message again = second.createConsumer(queue).receive(WAIT_MILLIS);
    assertEquals("kept", text(again));
    assertTrue(again.getJMSRedelivered());
    assertEquals(2, again.getIntProperty("JMSXDeliveryCount"));
  }

  @Test
  void autoAcknowledgeRemovesEachMessageOnceReceived() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue queue = sendTexts(session, "x");
    assertEquals("x", text(session.createConsumer(queue).receive(WAIT_MILLIS)));
    session.close();
    Session other = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    assertNull(other.createConsumer(queue).receive(200));
  }

  @Test
  void aListenerThatThrowsInAutoModeGetsTheMessageAgainMarkedRedelivered() throws Exception {
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue queue = sendTexts(session, "fragile");
    AtomicInteger calls = new AtomicInteger();
    BlockingQueue<Message> seen = new ArrayBlockingQueue<>(10);
    session
        .createConsumer(queue)
        .setMessageListener(
            m -> {
              seen.add(m);
              if (calls.incrementAndGet() == 1) {
                throw new RuntimeException("first attempt fails");
              }
            });
    Message first = seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    Message second = seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    assertFalse(first.getJMSRedelivered());
    assertTrue(second.getJMSRedelivered());
    assertEquals(2, second.getIntProperty("JMSXDeliveryCount"));
  }

  @Test
  void clientAcknowledgeWorksFromAListener() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    Queue queue = sendTexts(session, "one", "two");
    BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
    session
        .createConsumer(queue)
        .setMessageListener(
            m -> {
              try {
                m.acknowledge();
                seen.add(text(m));
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    assertEquals("one", seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertEquals("two", seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    session.close();
    Session other = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    assertNull(other.createConsumer(queue).receive(200));
  }

  @Test
  void acknowledgingAMessageOfAClosedSessionIsAnIllegalState() throws Exception {
    Session session = connection().createSession(false, Session.CLIENT_ACKNOWLEDGE);
    Queue queue = sendTexts(session, "late");
    Message m = session.createConsumer(queue).receive(WAIT_MILLIS);
    session.close();
    assertThrows(IllegalStateException.class, m::acknowledge);
  }

  @Test
  void recoverOnATransactedSessionIsAnIllegalState() throws Exception {
    Session session = connection().createSession(true, Session.SESSION_TRANSACTED);
    assertThrows(IllegalStateException.class, session::recover);
    Session plain = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    assertThrows(IllegalStateException.class, plain::commit);
    assertThrows(IllegalStateException.class, plain::rollback);
  }
}
