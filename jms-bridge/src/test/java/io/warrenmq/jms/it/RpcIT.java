package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DeliverCallback;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Request/reply between JMS and plain AMQP clients, in both directions. */
class RpcIT extends JmsTestSupport {

  /** A plain AMQP responder that upper-cases requests and answers to their reply_to. */
  private String startAmqpResponder() throws Exception {
    String requests = unique("rpc-requests");
    Channel channel = amqpConnection().createChannel();
    channel.queueDeclare(requests, false, false, true, null);
    DeliverCallback respond =
        (tag, delivery) -> {
          AMQP.BasicProperties in = delivery.getProperties();
          AMQP.BasicProperties out =
              new AMQP.BasicProperties.Builder()
                  .correlationId(in.getCorrelationId())
                  .contentType("text/plain")
                  .build();
          String body = new String(delivery.getBody(), StandardCharsets.UTF_8);
          channel.basicPublish(
              "", in.getReplyTo(), out, body.toUpperCase().getBytes(StandardCharsets.UTF_8));
        };
    channel.basicConsume(requests, true, respond, tag -> {});
    return requests;
  }

  @Test
  void jmsRequestorWithATemporaryQueueGetsTheAmqpResponderReply() throws Exception {
    String requests = startAmqpResponder();
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    TemporaryQueue replies = session.createTemporaryQueue();
    assertNotNull(replies.getQueueName());
    MessageConsumer replyConsumer = session.createConsumer(replies);
    TextMessage request = session.createTextMessage("ping");
    request.setJMSReplyTo(replies);
    request.setJMSCorrelationID("req-1");
    session.createProducer(session.createQueue(requests)).send(request);

    TextMessage reply = assertInstanceOf(TextMessage.class, replyConsumer.receive(WAIT_MILLIS));
    assertEquals("PING", reply.getText());
    assertEquals("req-1", reply.getJMSCorrelationID());
    assertEquals(replies, reply.getJMSDestination());
  }

  /** A JMS responder: a listener that answers each request to its JMSReplyTo. */
  private Queue startJmsResponder() throws Exception {
    Connection connection = connection();
    Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue requests = session.createQueue(unique("jms-requests"));
    MessageProducer replier = session.createProducer(null);
    session
        .createConsumer(requests)
        .setMessageListener(
            request -> {
              try {
                Message reply =
                    session.createTextMessage("re: " + ((TextMessage) request).getText());
                reply.setJMSCorrelationID(request.getJMSCorrelationID());
                replier.send(request.getJMSReplyTo(), reply);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    return requests;
  }

  private AMQP.BasicProperties request(String replyTo, String correlationId) {
    return new AMQP.BasicProperties.Builder()
        .contentType("text/plain")
        .correlationId(correlationId)
        .replyTo(replyTo)
        .build();
  }

  @Test
  void amqpRequestorWithAnExclusiveReplyQueueGetsTheJmsResponderReply() throws Exception {
    Queue requests = startJmsResponder();
    Channel channel = amqpConnection().createChannel();
    String replyQueue = channel.queueDeclare().getQueue();
    BlockingQueue<String[]> replies = new ArrayBlockingQueue<>(1);
    channel.basicConsume(
        replyQueue,
        true,
        (tag, d) ->
            replies.add(
                new String[] {
                  d.getProperties().getCorrelationId(),
                  new String(d.getBody(), StandardCharsets.UTF_8),
                  d.getProperties().getContentType()
                }),
        tag -> {});
    channel.basicPublish(
        "",
        requests.getQueueName(),
        request(replyQueue, "amqp-1"),
        "hello".getBytes(StandardCharsets.UTF_8));

    String[] reply = replies.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    assertNotNull(reply, "no reply");
    assertEquals("amqp-1", reply[0]);
    assertEquals("re: hello", reply[1]);
    assertEquals("text/plain", reply[2]);
  }

  @Test
  void amqpRequestorUsingDirectReplyToGetsTheJmsResponderReply() throws Exception {
    Queue requests = startJmsResponder();
    Channel channel = amqpConnection().createChannel();
    BlockingQueue<String> replies = new ArrayBlockingQueue<>(1);
    channel.basicConsume(
        "amq.rabbitmq.reply-to",
        true,
        (tag, d) -> replies.add(new String(d.getBody(), StandardCharsets.UTF_8)),
        tag -> {});
    channel.basicPublish(
        "",
        requests.getQueueName(),
        request("amq.rabbitmq.reply-to", "direct-1"),
        "direct".getBytes(StandardCharsets.UTF_8));
    assertEquals("re: direct", replies.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
  }

  @Test
  void jmsRequestorGetsAJmsResponderReplyThroughATemporaryQueue() throws Exception {
    Queue requests = startJmsResponder();
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    TemporaryQueue replies = session.createTemporaryQueue();
    MessageConsumer consumer = session.createConsumer(replies);
    TextMessage request = session.createTextMessage("jms");
    request.setJMSReplyTo(replies);
    request.setJMSCorrelationID("jms-1");
    session.createProducer(requests).send(request);
    TextMessage reply = (TextMessage) consumer.receive(WAIT_MILLIS);
    assertEquals("re: jms", reply.getText());
    assertEquals("jms-1", reply.getJMSCorrelationID());
  }
}
