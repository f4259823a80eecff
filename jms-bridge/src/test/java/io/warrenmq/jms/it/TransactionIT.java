package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;

/** Transacted sessions: sends and receives take effect on commit and are undone by rollback. */
class TransactionIT extends JmsTestSupport {

  @Test
  void sentMessagesAppearOnlyOnCommit() throws Exception {
    Connection connection = connection();
    Session tx = connection.createSession(true, Session.SESSION_TRANSACTED);
    Queue queue = tx.createQueue(unique("tx-send"));
    MessageProducer producer = tx.createProducer(queue);
    Session reader = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer consumer = reader.createConsumer(queue);

    producer.send(tx.createTextMessage("one"));
    assertNull(consumer.receive(200), "not visible before commit");
    tx.commit();
    assertEquals("one", ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
  }

  @Test
  void rolledBackSendsAreDiscarded() throws Exception {
    Connection connection = connection();
    Session tx = connection.createSession(true, Session.SESSION_TRANSACTED);
    Queue queue = tx.createQueue(unique("tx-rollback-send"));
    MessageProducer producer = tx.createProducer(queue);
    producer.send(tx.createTextMessage("discarded"));
    tx.rollback();
    producer.send(tx.createTextMessage("kept"));
    tx.commit();
    Session reader = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer consumer = reader.createConsumer(queue);
    assertEquals("kept", ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
    assertNull(consumer.receive(200));
  }

  @Test
  void rolledBackReceivesComeBackRedeliveredAndCommittedOnesAreGone() throws Exception {
    Connection connection = connection();
    Session setup = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue queue = setup.createQueue(unique("tx-receive"));
    MessageProducer producer = setup.createProducer(queue);
    producer.send(setup.createTextMessage("m1"));
    producer.send(setup.createTextMessage("m2"));

    Session tx = connection.createSession(true, Session.SESSION_TRANSACTED);
    MessageConsumer consumer = tx.createConsumer(queue);
    assertEquals("m1", ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
    tx.rollback();

    Message again = consumer.receive(WAIT_MILLIS);
    assertEquals("m1", ((TextMessage) again).getText());
    assertTrue(again.getJMSRedelivered());
    assertEquals(2, again.getIntProperty("JMSXDeliveryCount"));
    assertEquals("m2", ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
    tx.commit();
    tx.close();

    Session after = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    assertNull(after.createConsumer(queue).receive(200));
  }

  @Test
  void aConsumeAndForwardCommitsAtomically() throws Exception {
    Connection connection = connection();
    Session setup = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue in = setup.createQueue(unique("tx-in"));
    Queue out = setup.createQueue(unique("tx-out"));
    setup.createProducer(in).send(setup.createTextMessage("work"));

    Session tx = connection.createSession(true, Session.SESSION_TRANSACTED);
    Message m = tx.createConsumer(in).receive(WAIT_MILLIS);
    tx.createProducer(out).send(tx.createTextMessage("done: " + ((TextMessage) m).getText()));
    tx.commit();

    assertEquals(
        "done: work", ((TextMessage) setup.createConsumer(out).receive(WAIT_MILLIS)).getText());
    assertNull(setup.createConsumer(in).receive(200));
  }

  @Test
  void closingATransactedSessionRollsBack() throws Exception {
    Connection connection = connection();
    Session tx = connection.createSession(true, Session.SESSION_TRANSACTED);
    Queue queue = tx.createQueue(unique("tx-close"));
    tx.createProducer(queue).send(tx.createTextMessage("never"));
    tx.close();
    Session reader = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    assertNull(reader.createConsumer(queue).receive(200));
  }
}
