package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.warrenmq.jms.WarrenConnectionFactory;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What only the in-VM transport has: finding the broker, logging in, and what a close releases. */
class VmTransportIT extends JmsTestSupport {

  @Override
  protected String jmsUri() {
    return vmUri();
  }

  @Test
  void aWrongPasswordIsRefusedWith403() {
    vmUri();
    WarrenConnectionFactory factory = new WarrenConnectionFactory("vm://guest:wrong@default");
    JMSSecurityException e =
        assertThrows(JMSSecurityException.class, () -> track(factory.createConnection()));
    assertEquals("403", e.getErrorCode());
  }

  @Test
  void anUnknownBrokerNameOrVhostIsRefused() {
    vmUri();
    assertThrows(
        JMSException.class,
        () -> track(new WarrenConnectionFactory("vm://nobody").createConnection()));
    JMSException e =
        assertThrows(
            JMSException.class,
            () -> track(new WarrenConnectionFactory("vm://default/nowhere").createConnection()));
    assertEquals("530", e.getErrorCode());
  }

  @Test
  void closingTheConnectionPutsUnacknowledgedMessagesBackRedelivered() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
    Queue queue = session.createQueue(unique("vm-release"));
    session.createProducer(queue).send(session.createTextMessage("held"));
    TextMessage held = (TextMessage) session.createConsumer(queue).receive(WAIT_MILLIS);
    assertEquals("held", held.getText());
    connection.close();

    Channel channel = amqpConnection().createChannel();
    GetResponse back = channel.basicGet(queue.getQueueName(), true);
    assertNotNull(back, "the unacknowledged message did not come back");
    assertTrue(back.getEnvelope().isRedeliver());
    assertEquals("held", new String(back.getBody(), StandardCharsets.UTF_8));
  }

  @Test
  void aTemporaryQueueGoesWithItsConnection() throws Exception {
    Connection connection = connection();
    TemporaryQueue temp = connection.createSession().createTemporaryQueue();
    com.rabbitmq.client.Connection amqp = amqpConnection();
    Channel before = amqp.createChannel();
    IOException locked =
        assertThrows(IOException.class, () -> before.queueDeclarePassive(temp.getQueueName()));
    assertTrue(
        String.valueOf(locked.getCause()).contains("RESOURCE_LOCKED"),
        String.valueOf(locked.getCause()));
    connection.close();

    Channel after = amqp.createChannel();
    IOException gone =
        assertThrows(IOException.class, () -> after.queueDeclarePassive(temp.getQueueName()));
    assertTrue(
        String.valueOf(gone.getCause()).contains("NOT_FOUND"), String.valueOf(gone.getCause()));
  }

  @Test
  void aBodyCrossesTheBrokerInVmWithoutACopy() throws Exception {
    // The link level, under the JMS API (whose message classes own their bodies): the array a
    // publisher hands over is the very array its in-VM consumer receives.
    byte[] body = "zero copies".getBytes(StandardCharsets.UTF_8);
    try (io.warrenmq.jms.vm.VmBrokerLink link =
            io.warrenmq.jms.vm.VmBrokerLink.connect(java.net.URI.create(vmUri()), null, null);
        io.warrenmq.jms.link.LinkSession session = link.openSession()) {
      String queue = session.declareQueue("", false, true, true, null);
      java.util.concurrent.BlockingQueue<io.warrenmq.jms.link.LinkDelivery> got =
          new java.util.concurrent.LinkedBlockingQueue<>();
      session.consume(queue, 1, false, null, got::add);

      session.publish(
          "",
          queue,
          new io.warrenmq.jms.link.AmqpMessage(
              null, null, null, null, null, null, null, null, null, null, null, null, null, body));

      io.warrenmq.jms.link.LinkDelivery d =
          notNull(got.poll(WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS), "delivery");
      org.junit.jupiter.api.Assertions.assertSame(body, d.message().body());
    }
  }
}
