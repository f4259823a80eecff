package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidClientIDException;
import jakarta.jms.JMSException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Connection and session lifecycle rules of the spec, and what closed objects do. */
class ConnectionIT extends JmsTestSupport {

  @Test
  void aWrongPasswordIsAJmsSecurityExceptionWith403() {
    var factory = factory();
    JMSSecurityException e =
        assertThrows(
            JMSSecurityException.class,
            () -> track(factory.createConnection("guest", "not-the-password")));
    assertEquals("403", e.getErrorCode());
  }

  /** An application server's own Queue object (not this provider's) is taken by its name. */
  @Test
  void anotherProvidersQueueIsAddressedByItsName() throws Exception {
    String name = unique("foreign");
    Queue foreign = () -> name;
    Session session = connection().createSession();
    MessageConsumer consumer = session.createConsumer(session.createQueue(name));
    session.createProducer(foreign).send(session.createTextMessage("by name"));
    assertEquals("by name", ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
  }

  @Test
  void theClientIdCanBeSetOnlyFirstAndOnlyOnce() throws Exception {
    Connection connection = track(factory().createConnection());
    String id = unique("client");
    connection.setClientID(id);
    assertEquals(id, connection.getClientID());
    assertThrows(IllegalStateException.class, () -> connection.setClientID("again"));

    Connection late = track(factory().createConnection());
    late.createSession();
    assertThrows(IllegalStateException.class, () -> late.setClientID(unique("late")));
  }

  @Test
  void aClientIdInUseByAnotherConnectionIsRefused() throws Exception {
    String id = unique("taken");
    Connection first = track(factory().createConnection());
    first.setClientID(id);
    Connection second = track(factory().createConnection());
    assertThrows(InvalidClientIDException.class, () -> second.setClientID(id));
    first.close();
    Connection third = track(factory().createConnection());
    third.setClientID(id);
  }

  @Test
  void closedConnectionsSessionsProducersAndConsumersThrowIllegalState() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession();
    Queue queue = session.createQueue(unique("closed"));
    MessageProducer producer = session.createProducer(queue);
    MessageConsumer consumer = session.createConsumer(queue);
    consumer.close();
    assertThrows(IllegalStateException.class, () -> consumer.receive(10));
    producer.close();
    assertThrows(IllegalStateException.class, () -> producer.send(session.createMessage()));
    session.close();
    assertThrows(IllegalStateException.class, session::createMessage);
    assertThrows(IllegalStateException.class, () -> session.createConsumer(queue));
    connection.close();
    connection.close();
    assertThrows(IllegalStateException.class, connection::createSession);
    assertThrows(IllegalStateException.class, connection::start);
  }

  @Test
  void aStoppedConnectionDeliversNothingUntilStarted() throws Exception {
    Connection connection = track(factory().createConnection());
    Session session = connection.createSession();
    Queue queue = session.createQueue(unique("stopped"));
    session.createProducer(queue).send(session.createTextMessage("held"));
    MessageConsumer consumer = session.createConsumer(queue);
    assertNull(consumer.receive(200));
    assertNull(consumer.receiveNoWait());
    connection.start();
    assertEquals("held", ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
  }

  @Test
  void stopWaitsForTheRunningListenerAndHoldsTheRest() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession();
    Queue queue = session.createQueue(unique("stop"));
    BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
    session
        .createConsumer(queue)
        .setMessageListener(
            m -> {
              try {
                seen.add(((TextMessage) m).getText());
              } catch (JMSException e) {
                throw new RuntimeException(e);
              }
            });
    MessageProducer producer = session.createProducer(queue);
    producer.send(session.createTextMessage("first"));
    assertEquals("first", seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    connection.stop();
    producer.send(session.createTextMessage("second"));
    assertNull(seen.poll(200, TimeUnit.MILLISECONDS));
    connection.start();
    assertEquals("second", seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
  }

  @Test
  void aListenerMayNotStopOrCloseItsOwnConnection() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession();
    Queue queue = session.createQueue(unique("self-stop"));
    BlockingQueue<Exception> failures = new ArrayBlockingQueue<>(2);
    session
        .createConsumer(queue)
        .setMessageListener(
            m -> {
              try {
                connection.stop();
              } catch (Exception e) {
                failures.add(e);
              }
              try {
                connection.close();
              } catch (Exception e) {
                failures.add(e);
              }
            });
    session.createProducer(queue).send(session.createMessage());
    assertEquals(
        IllegalStateException.class, failures.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS).getClass());
    assertEquals(
        IllegalStateException.class, failures.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS).getClass());
  }

  @Test
  void receiveOnAConsumerWithAListenerIsAnIllegalState() throws Exception {
    Session session = connection().createSession();
    MessageConsumer consumer = session.createConsumer(session.createQueue(unique("both")));
    consumer.setMessageListener(m -> {});
    assertThrows(IllegalStateException.class, consumer::receiveNoWait);
  }

  @Test
  void closingAConsumerWakesABlockedReceive() throws Exception {
    Session session = connection().createSession();
    MessageConsumer consumer = session.createConsumer(session.createQueue(unique("wake")));
    BlockingQueue<String> result = new ArrayBlockingQueue<>(1);
    Thread receiver =
        new Thread(
            () -> {
              try {
                result.add(String.valueOf(consumer.receive()));
              } catch (JMSException e) {
                result.add(e.toString());
              }
            });
    receiver.start();
    await("receive to block", () -> receiver.getState() == Thread.State.WAITING);
    consumer.close();
    assertEquals("null", result.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
  }

  @Test
  void aTemporaryQueueBelongsToItsConnection() throws Exception {
    Session session = connection().createSession();
    TemporaryQueue temp = session.createTemporaryQueue();
    Session other = connection().createSession();
    assertThrows(jakarta.jms.InvalidDestinationException.class, () -> other.createConsumer(temp));
    MessageConsumer consumer = session.createConsumer(temp);
    assertThrows(IllegalStateException.class, temp::delete);
    consumer.close();
    temp.delete();
  }

  @Test
  void queueSessionsRefuseTopicMethodsAndTopicSessionsQueueMethods() throws Exception {
    jakarta.jms.QueueConnection qc = factory().createQueueConnection();
    track(qc);
    jakarta.jms.QueueSession qs = qc.createQueueSession(false, Session.AUTO_ACKNOWLEDGE);
    assertThrows(IllegalStateException.class, () -> qs.createTopic("t"));
    assertThrows(IllegalStateException.class, qs::createTemporaryTopic);
    assertThrows(IllegalStateException.class, () -> qs.unsubscribe("s"));
    assertThrows(
        IllegalStateException.class,
        () -> qs.createDurableSubscriber(new io.warrenmq.jms.WarrenTopic("t"), "s"));
    qs.createQueue(unique("fine"));

    jakarta.jms.TopicConnection tc = factory().createTopicConnection();
    track(tc);
    jakarta.jms.TopicSession ts = tc.createTopicSession(false, Session.AUTO_ACKNOWLEDGE);
    assertThrows(IllegalStateException.class, () -> ts.createQueue("q"));
    assertThrows(IllegalStateException.class, ts::createTemporaryQueue);
    assertThrows(
        IllegalStateException.class, () -> ts.createBrowser(new io.warrenmq.jms.WarrenQueue("q")));
    ts.createTopic("fine");
  }

  @Test
  void metaDataNamesTheProviderAndJmsVersion() throws Exception {
    var meta = connection().getMetaData();
    assertEquals("3.1", meta.getJMSVersion());
    assertEquals("WarrenMQ", meta.getJMSProviderName());
  }
}
