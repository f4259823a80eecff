package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * Request/reply over queues: reply_to and correlation_id carried end to end, and RabbitMQ's direct
 * reply-to pseudo-queue {@code amq.rabbitmq.reply-to}.
 */
class RpcIT extends MessagingSupport {

  private static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

  @Test
  void replyToAndCorrelationIdSurviveARoundTripThroughAServerNamedReplyQueue() throws Exception {
    String requests = startUpperCaseServer();
    Channel client = newConnection().createChannel();
    String replyQueue = client.queueDeclare().getQueue();
    BlockingQueue<Delivery> replies = consume(client, replyQueue, true);
    String correlationId = UUID.randomUUID().toString();

    client.basicPublish(
        "",
        requests,
        new AMQP.BasicProperties.Builder().replyTo(replyQueue).correlationId(correlationId).build(),
        "hello".getBytes(UTF_8));

    Delivery reply = next(replies);
    assertTrue(replyQueue.startsWith("amq.gen-"), replyQueue);
    assertEquals("HELLO from " + replyQueue, body(reply));
    assertEquals(correlationId, reply.getProperties().getCorrelationId());
  }

  @Test
  void directReplyToDeliversTheReplyToTheRequestingChannel() throws Exception {
    String requests = startUpperCaseServer();
    Channel client = newConnection().createChannel();
    BlockingQueue<Delivery> replies = consume(client, DIRECT_REPLY_TO, true);
    String correlationId = UUID.randomUUID().toString();

    client.basicPublish(
        "",
        requests,
        new AMQP.BasicProperties.Builder()
            .replyTo(DIRECT_REPLY_TO)
            .correlationId(correlationId)
            .build(),
        "hello".getBytes(UTF_8));

    Delivery reply = next(replies);
    String seenByServer = body(reply).substring("HELLO from ".length());
    // the server sees an opaque name that routes back to this channel's consumer
    assertTrue(seenByServer.startsWith(DIRECT_REPLY_TO + "."), seenByServer);
    assertTrue(seenByServer.length() > DIRECT_REPLY_TO.length() + 1, seenByServer);
    assertEquals(correlationId, reply.getProperties().getCorrelationId());
    assertEquals("", reply.getEnvelope().getExchange());
    assertEquals(seenByServer, reply.getEnvelope().getRoutingKey());
  }

  @Test
  void directReplyToServesManyRequestsOnOneChannel() throws Exception {
    String requests = startUpperCaseServer();
    Channel client = newConnection().createChannel();
    BlockingQueue<Delivery> replies = consume(client, DIRECT_REPLY_TO, true);
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder().replyTo(DIRECT_REPLY_TO).build();

    for (String word : new String[] {"a", "b", "c"}) {
      client.basicPublish("", requests, properties, word.getBytes(UTF_8));
    }

    for (String expected : new String[] {"A", "B", "C"}) {
      assertTrue(body(next(replies)).startsWith(expected + " from " + DIRECT_REPLY_TO + "."));
    }
  }

  @Test
  void consumingDirectReplyToWithoutAutoAckClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();

    AMQP.Channel.Close close =
        channelError(
            channel, () -> channel.basicConsume(DIRECT_REPLY_TO, false, (t, d) -> {}, t -> {}));

    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - reply consumer cannot acknowledge",
        BASIC,
        BASIC_CONSUME);
  }

  @Test
  void publishingWithDirectReplyToBeforeConsumingItClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);

    AMQP.Channel.Close close =
        channelError(
            channel,
            () ->
                channel.basicPublish(
                    "",
                    queue,
                    new AMQP.BasicProperties.Builder().replyTo(DIRECT_REPLY_TO).build(),
                    "request".getBytes(UTF_8)));

    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - fast reply consumer does not exist",
        BASIC,
        BASIC_PUBLISH);
  }

  @Test
  void directReplyToIsPerChannel() throws Exception {
    var connection = newConnection();
    Channel consuming = connection.createChannel();
    consume(consuming, DIRECT_REPLY_TO, true);
    Channel other = connection.createChannel();
    String queue = declareQueue(other);

    AMQP.Channel.Close close =
        channelError(
            other,
            () ->
                other.basicPublish(
                    "",
                    queue,
                    new AMQP.BasicProperties.Builder().replyTo(DIRECT_REPLY_TO).build(),
                    "request".getBytes(UTF_8)));

    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - fast reply consumer does not exist",
        BASIC,
        BASIC_PUBLISH);
    assertTrue(consuming.isOpen());
  }

  /**
   * Starts a server on its own connection that answers each request on a fresh queue with the body
   * upper-cased and " from " and the reply_to it saw, to the reply_to and with the request's
   * correlation_id.
   */
  private String startUpperCaseServer() throws Exception {
    Channel server = newConnection().createChannel();
    String requests = declareQueue(server);
    server.basicConsume(
        requests,
        false,
        (tag, request) -> {
          AMQP.BasicProperties in = request.getProperties();
          String reply = body(request).toUpperCase() + " from " + in.getReplyTo();
          server.basicPublish(
              "",
              in.getReplyTo(),
              new AMQP.BasicProperties.Builder().correlationId(in.getCorrelationId()).build(),
              reply.getBytes(UTF_8));
          server.basicAck(request.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});
    return requests;
  }
}
