package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import jakarta.jms.BytesMessage;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Message;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** JMS and plain AMQP clients read each other's messages: bodies, properties and headers. */
class AmqpInteropIT extends JmsTestSupport {

  private GetResponse getWithin(Channel channel, String queue) throws Exception {
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    GetResponse r;
    while ((r = channel.basicGet(queue, true)) == null) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("nothing arrived on " + queue);
      }
      Thread.onSpinWait();
    }
    return r;
  }

  @Test
  void jmsTextMessageReachesAnAmqpClientAsUtf8TextWithItsHeaders() throws Exception {
    String name = unique("to-amqp");
    Channel channel = amqpConnection().createChannel();
    channel.queueDeclare(name, false, false, false, null);
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    TextMessage m = session.createTextMessage("héllo");
    m.setJMSCorrelationID("c-42");
    m.setJMSReplyTo(session.createQueue("reply-here"));
    m.setJMSType("greeting");
    m.setStringProperty("region", "eu");
    m.setIntProperty("attempt", 3);
    session.createProducer(session.createQueue(name)).send(m, DeliveryMode.PERSISTENT, 6, 0);

    GetResponse r = getWithin(channel, name);
    AMQP.BasicProperties p = r.getProps();
    assertEquals("héllo", new String(r.getBody(), StandardCharsets.UTF_8));
    assertEquals("text/plain", p.getContentType());
    assertEquals("c-42", p.getCorrelationId());
    assertEquals("reply-here", p.getReplyTo());
    assertEquals("greeting", p.getType());
    assertEquals(m.getJMSMessageID(), p.getMessageId());
    assertEquals(2, p.getDeliveryMode());
    assertEquals(6, p.getPriority());
    assertEquals(m.getJMSTimestamp() / 1000, p.getTimestamp().getTime() / 1000);
    assertEquals("eu", p.getHeaders().get("region").toString());
    assertEquals(3, p.getHeaders().get("attempt"));
  }

  @Test
  void jmsBytesMessageReachesAnAmqpClientAsTheRawBytes() throws Exception {
    String name = unique("bytes-to-amqp");
    Channel channel = amqpConnection().createChannel();
    channel.queueDeclare(name, false, false, false, null);
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    BytesMessage m = session.createBytesMessage();
    m.writeBytes(new byte[] {1, 2, 3, 4});
    session.createProducer(session.createQueue(name)).send(m);
    GetResponse r = getWithin(channel, name);
    assertArrayEquals(new byte[] {1, 2, 3, 4}, r.getBody());
    assertEquals("application/octet-stream", r.getProps().getContentType());
  }

  @Test
  void amqpTextArrivesAsATextMessageWithItsPropertiesAndHeaders() throws Exception {
    String name = unique("from-amqp");
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue queue = session.createQueue(name);
    var consumer = session.createConsumer(queue);
    Channel channel = amqpConnection().createChannel();
    AMQP.BasicProperties props =
        new AMQP.BasicProperties.Builder()
            .contentType("text/plain; charset=utf-8")
            .correlationId("corr")
            .replyTo("amq.gen-reply")
            .messageId("m-1")
            .type("event")
            .priority(3)
            .deliveryMode(1)
            .timestamp(new Date(1_700_000_000_000L))
            .headers(Map.of("color", "blue", "count", 5, "flag", true, "big", 1L << 40))
            .build();
    channel.basicPublish("", name, props, "plain text".getBytes(StandardCharsets.UTF_8));

    TextMessage m = assertInstanceOf(TextMessage.class, consumer.receive(WAIT_MILLIS));
    assertEquals("plain text", m.getText());
    assertEquals("corr", m.getJMSCorrelationID());
    assertEquals(session.createQueue("amq.gen-reply"), m.getJMSReplyTo());
    assertEquals("m-1", m.getJMSMessageID());
    assertEquals("event", m.getJMSType());
    assertEquals(3, m.getJMSPriority());
    assertEquals(DeliveryMode.NON_PERSISTENT, m.getJMSDeliveryMode());
    assertEquals(1_700_000_000_000L, m.getJMSTimestamp());
    assertEquals(queue, m.getJMSDestination());
    assertEquals("blue", m.getStringProperty("color"));
    assertEquals(5, m.getIntProperty("count"));
    assertEquals(true, m.getBooleanProperty("flag"));
    assertEquals(1L << 40, m.getLongProperty("big"));
    assertEquals(1, m.getIntProperty("JMSXDeliveryCount"));
  }

  @Test
  void amqpJsonIsTextAndAnythingElseIsBytes() throws Exception {
    String name = unique("kinds");
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    var consumer = session.createConsumer(session.createQueue(name));
    Channel channel = amqpConnection().createChannel();
    channel.basicPublish(
        "",
        name,
        new AMQP.BasicProperties.Builder().contentType("application/json").build(),
        "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    channel.basicPublish("", name, null, new byte[] {(byte) 0xff, 0});

    TextMessage json = assertInstanceOf(TextMessage.class, consumer.receive(WAIT_MILLIS));
    assertEquals("{\"a\":1}", json.getText());
    BytesMessage raw = assertInstanceOf(BytesMessage.class, consumer.receive(WAIT_MILLIS));
    assertEquals(2, raw.getBodyLength());
    assertArrayEquals(new byte[] {(byte) 0xff, 0}, raw.getBody(byte[].class));
    assertNull(raw.getJMSMessageID());
  }

  @Test
  void jmsTopicPublishesToAmqTopicWithTheTopicNameAsRoutingKey() throws Exception {
    Channel channel = amqpConnection().createChannel();
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind(queue, "amq.topic", "stock.*.nyse");
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    Topic topic = session.createTopic("stock.ibm.nyse");
    session.createProducer(topic).send(session.createTextMessage("IBM 180"));
    GetResponse r = getWithin(channel, queue);
    assertEquals("amq.topic", r.getEnvelope().getExchange());
    assertEquals("stock.ibm.nyse", r.getEnvelope().getRoutingKey());
    assertEquals("IBM 180", new String(r.getBody(), StandardCharsets.UTF_8));
  }

  @Test
  void aDestinationNamingAnyExchangeAndKeyReachesItsBoundQueues() throws Exception {
    Channel channel = amqpConnection().createChannel();
    String exchange = unique("orders-x");
    channel.exchangeDeclare(exchange, "direct");
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind(queue, exchange, "new");
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    Topic destination = session.createTopic("/exchange/" + exchange + "/new");
    session.createProducer(destination).send(session.createTextMessage("order 1"));
    GetResponse r = getWithin(channel, queue);
    assertEquals("order 1", new String(r.getBody(), StandardCharsets.UTF_8));

    Message m = session.createMessage();
    m.setJMSReplyTo(destination);
    session.createProducer(session.createQueue(queue)).send(m);
    assertEquals(
        "/exchange/" + exchange + "/new", getWithin(channel, queue).getProps().getReplyTo());
    assertNotNull(destination);
  }
}
