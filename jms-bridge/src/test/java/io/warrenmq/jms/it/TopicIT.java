package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import org.junit.jupiter.api.Test;

/** Publish/subscribe: plain, wildcard, durable, shared and noLocal subscriptions. */
class TopicIT extends JmsTestSupport {

  private static String text(jakarta.jms.Message m) throws Exception {
    assertNotNull(m, "no message");
    return ((TextMessage) m).getText();
  }

  @Test
  void everySubscriberGetsItsOwnCopy() throws Exception {
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    Topic topic = session.createTopic(unique("news"));
    MessageConsumer first = session.createConsumer(topic);
    MessageConsumer second = connection().createSession().createConsumer(topic);
    session.createProducer(topic).send(session.createTextMessage("extra"));
    assertEquals("extra", text(first.receive(WAIT_MILLIS)));
    assertEquals("extra", text(second.receive(WAIT_MILLIS)));
  }

  @Test
  void aSubscriptionMayUseAmqpWildcards() throws Exception {
    Session session = connection().createSession();
    String root = unique("prices").replace("-", "");
    MessageConsumer all = session.createConsumer(session.createTopic(root + ".#"));
    MessageConsumer nyse = session.createConsumer(session.createTopic(root + ".*.nyse"));
    MessageProducer producer = session.createProducer(null);
    producer.send(session.createTopic(root + ".ibm.nyse"), session.createTextMessage("ibm"));
    producer.send(session.createTopic(root + ".sap.xetra"), session.createTextMessage("sap"));
    assertEquals("ibm", text(all.receive(WAIT_MILLIS)));
    assertEquals("sap", text(all.receive(WAIT_MILLIS)));
    assertEquals("ibm", text(nyse.receive(WAIT_MILLIS)));
    assertNull(nyse.receive(200));
  }

  @Test
  void aSubscriberSeesOnlyWhatIsPublishedAfterItSubscribed() throws Exception {
    Session session = connection().createSession();
    Topic topic = session.createTopic(unique("late"));
    MessageProducer producer = session.createProducer(topic);
    producer.send(session.createTextMessage("before"));
    MessageConsumer consumer = session.createConsumer(topic);
    producer.send(session.createTextMessage("after"));
    assertEquals("after", text(consumer.receive(WAIT_MILLIS)));
  }

  @Test
  void aDurableSubscriptionKeepsMessagesWhileItsSubscriberIsAway() throws Exception {
    String clientId = unique("durable-client");
    String topicName = unique("durable-topic");
    Connection c1 = track(factory().createConnection());
    c1.setClientID(clientId);
    c1.start();
    Session s1 = c1.createSession();
    Topic topic = s1.createTopic(topicName);
    s1.createDurableConsumer(topic, "audit").close();
    s1.createProducer(topic).send(s1.createTextMessage("while away"));
    c1.close();

    Connection c2 = track(factory().createConnection());
    c2.setClientID(clientId);
    c2.start();
    Session s2 = c2.createSession();
    MessageConsumer again = s2.createDurableConsumer(s2.createTopic(topicName), "audit");
    assertEquals("while away", text(again.receive(WAIT_MILLIS)));
    assertThrows(IllegalStateException.class, () -> s2.unsubscribe("audit"));
    again.close();
    s2.unsubscribe("audit");
    assertThrows(InvalidDestinationException.class, () -> s2.unsubscribe("audit"));
  }

  @Test
  void anUnsharedDurableSubscriptionNeedsAClientId() throws Exception {
    Session session = connection().createSession();
    assertThrows(
        IllegalStateException.class,
        () -> session.createDurableConsumer(session.createTopic("t"), "needs-id"));
  }

  @Test
  void aSharedSubscriptionSplitsMessagesBetweenItsConsumers() throws Exception {
    Session a = connection().createSession();
    Session b = connection().createSession();
    Topic topic = a.createTopic(unique("shared"));
    String name = unique("workers");
    MessageConsumer first = a.createSharedConsumer(topic, name);
    MessageConsumer second = b.createSharedConsumer(topic, name);
    MessageProducer producer = a.createProducer(topic);
    for (int i = 0; i < 4; i++) {
      producer.send(a.createTextMessage("m" + i));
    }
    int got = 0;
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    while (got < 4 && System.nanoTime() < deadline) {
      got += first.receive(50) != null ? 1 : 0;
      got += second.receive(50) != null ? 1 : 0;
    }
    assertNull(first.receive(100));
    assertNull(second.receive(100));
    assertEquals(4, got, "each message once across the shared subscription");
  }

  @Test
  void aSharedDurableSubscriptionOutlivesItsConsumers() throws Exception {
    Session session = connection().createSession();
    Topic topic = session.createTopic(unique("shared-durable"));
    String name = unique("keep");
    session.createSharedDurableConsumer(topic, name).close();
    session.createProducer(topic).send(session.createTextMessage("kept"));
    Session other = connection().createSession();
    MessageConsumer back = other.createSharedDurableConsumer(topic, name);
    assertEquals("kept", text(back.receive(WAIT_MILLIS)));
    back.close();
    other.unsubscribe(name);
  }

  @Test
  void noLocalSubscribersDoNotSeeTheirOwnConnectionsMessages() throws Exception {
    Connection mine = connection();
    Session session = mine.createSession();
    Topic topic = session.createTopic(unique("chat"));
    MessageConsumer quiet = session.createConsumer(topic, null, true);
    session.createProducer(topic).send(session.createTextMessage("mine"));
    Session otherSession = connection().createSession();
    otherSession.createProducer(topic).send(otherSession.createTextMessage("theirs"));
    assertEquals("theirs", text(quiet.receive(WAIT_MILLIS)));
    assertNull(quiet.receive(200));
  }

  @Test
  void aTemporaryTopicReachesItsSubscribersAndCannotBeDeletedWhileInUse() throws Exception {
    Session session = connection().createSession();
    TemporaryTopic topic = session.createTemporaryTopic();
    MessageConsumer consumer = session.createConsumer(topic);
    session.createProducer(topic).send(session.createTextMessage("temp"));
    assertEquals("temp", text(consumer.receive(WAIT_MILLIS)));
    assertThrows(IllegalStateException.class, topic::delete);
    consumer.close();
    topic.delete();
  }
}
