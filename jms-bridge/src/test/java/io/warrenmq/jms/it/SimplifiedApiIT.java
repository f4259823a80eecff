package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatRuntimeException;
import jakarta.jms.Queue;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** JMSContext, JMSProducer and JMSConsumer. */
class SimplifiedApiIT extends JmsTestSupport {

  @Test
  void aContextSendsAndReceivesBodiesOfEveryKind() {
    try (JMSContext context = factory().createContext()) {
      Queue queue = context.createQueue(unique("simple"));
      JMSConsumer consumer = context.createConsumer(queue);
      context.createProducer().send(queue, "text");
      assertEquals("text", consumer.receiveBody(String.class, WAIT_MILLIS));
      context.createProducer().send(queue, new byte[] {1, 2});
      assertArrayEquals(new byte[] {1, 2}, consumer.receiveBody(byte[].class, WAIT_MILLIS));
      context.createProducer().send(queue, Map.of("k", 1));
      assertEquals(Map.of("k", 1), consumer.receiveBody(Map.class, WAIT_MILLIS));
      context.createProducer().send(queue, (java.io.Serializable) 42L);
      assertEquals(42L, consumer.receiveBody(Long.class, WAIT_MILLIS));
      assertNull(consumer.receiveBodyNoWait(String.class));
    }
  }

  @Test
  void theProducerAppliesItsPropertiesAndHeadersToEachMessage() throws Exception {
    try (JMSContext context = factory().createContext()) {
      Queue queue = context.createQueue(unique("simple-props"));
      Queue replyTo = context.createQueue("answers");
      JMSConsumer consumer = context.createConsumer(queue);
      context
          .createProducer()
          .setProperty("tenant", "acme")
          .setProperty("attempt", 2)
          .setJMSCorrelationID("c-9")
          .setJMSType("Invoice")
          .setJMSReplyTo(replyTo)
          .setPriority(8)
          .send(queue, "body");
      Message m = consumer.receive(WAIT_MILLIS);
      assertEquals("acme", m.getStringProperty("tenant"));
      assertEquals(2, m.getIntProperty("attempt"));
      assertEquals("c-9", m.getJMSCorrelationID());
      assertEquals("Invoice", m.getJMSType());
      assertEquals(replyTo, m.getJMSReplyTo());
      assertEquals(8, m.getJMSPriority());
    }
  }

  @Test
  void contextsMadeFromAContextShareItsConnectionAndTransactionsWork() {
    try (JMSContext context = factory().createContext()) {
      Queue queue = context.createQueue(unique("simple-tx"));
      JMSContext tx = context.createContext(JMSContext.SESSION_TRANSACTED);
      tx.createProducer().send(queue, "later");
      JMSConsumer consumer = context.createConsumer(queue);
      assertNull(consumer.receiveBody(String.class, 200));
      tx.commit();
      assertEquals("later", consumer.receiveBody(String.class, WAIT_MILLIS));
      tx.close();
      context.createProducer().send(queue, "still open");
      assertEquals("still open", consumer.receiveBody(String.class, WAIT_MILLIS));
    }
  }

  @Test
  void clientAcknowledgeThroughTheContext() {
    try (JMSContext context = factory().createContext(JMSContext.CLIENT_ACKNOWLEDGE)) {
      Queue queue = context.createQueue(unique("simple-ack"));
      context.createProducer().send(queue, "once");
      JMSConsumer consumer = context.createConsumer(queue);
      assertEquals("once", consumer.receiveBody(String.class, WAIT_MILLIS));
      context.recover();
      assertEquals("once", consumer.receiveBody(String.class, WAIT_MILLIS));
      context.acknowledge();
      context.recover();
      assertNull(consumer.receiveBody(String.class, 200));
    }
  }

  @Test
  void aBodyOfTheWrongTypeIsNotAcknowledgedAndComesAgain() {
    try (JMSContext context = factory().createContext()) {
      Queue queue = context.createQueue(unique("simple-body"));
      context.createProducer().send(queue, "not a number");
      JMSConsumer consumer = context.createConsumer(queue);
      assertThrows(
          MessageFormatRuntimeException.class, () -> consumer.receiveBody(Long.class, WAIT_MILLIS));
      assertEquals("not a number", consumer.receiveBody(String.class, WAIT_MILLIS));
    }
  }

  @Test
  void errorsAreTheRuntimeTwinsOfTheCheckedOnes() {
    JMSContext context = factory().createContext();
    Queue queue = context.createQueue(unique("simple-errors"));
    context.createProducer().send(queue, "text");
    JMSConsumer consumer = context.createConsumer(queue);
    assertThrows(
        MessageFormatRuntimeException.class, () -> consumer.receiveBody(Long.class, WAIT_MILLIS));
    assertThrows(IllegalStateRuntimeException.class, context::commit);
    assertThrows(JMSRuntimeException.class, () -> context.createProducer().setDeliveryDelay(-1));
    context.close();
    assertThrows(IllegalStateRuntimeException.class, () -> context.createQueue("x"));
  }
}
