package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

/** channel.open and channel.close, and how channel errors stay inside their channel. */
class ChannelLifecycleIT extends MessagingSupport {

  @Test
  void aClosedChannelNumberCanBeOpenedAgain() throws Exception {
    Connection connection = newConnection();
    Channel first = connection.createChannel(5);
    String queue = declareQueue(first);
    first.close();

    Channel again = connection.createChannel(5);

    assertNotNull(again, "channel 5 should be free again");
    assertEquals(5, again.getChannelNumber());
    publish(again, queue, "a");
    assertEquals("a", body(again.basicGet(queue, true)));
  }

  @Test
  void aChannelNumberClosedByAnErrorCanBeOpenedAgain() throws Exception {
    Connection connection = newConnection();
    Channel broken = connection.createChannel(7);
    channelError(broken, () -> broken.queueDeclarePassive(uniqueName("missing")));

    Channel again = connection.createChannel(7);

    assertNotNull(again, "channel 7 should be free again");
    String queue = declareQueue(again);
    assertEquals(0, again.queueDeclarePassive(queue).getMessageCount());
  }

  @Test
  void closingAChannelCancelsItsConsumersAndRequeuesItsUnackedMessages() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    assertEquals(List.of("a", "b", "c"), nextBodies(deliveries, 3));

    channel.close();

    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> consumerCount(queue) == 0 && readyCount(queue) == 3);
  }

  @Test
  void aChannelErrorClosesOnlyThatChannel() throws Exception {
    Connection connection = newConnection();
    Channel healthy = connection.createChannel();
    String queue = declareQueue(healthy);
    BlockingQueue<Delivery> deliveries = consume(healthy, queue, true);
    Channel broken = connection.createChannel();
    String missing = uniqueName("missing");

    AMQP.Channel.Close close = channelError(broken, () -> broken.queueDeclarePassive(missing));

    assertChannelClose(
        close, 404, "NOT_FOUND - no queue '" + missing + "' in vhost '/'", QUEUE, QUEUE_DECLARE);
    assertFalse(broken.isOpen());
    assertTrue(connection.isOpen());
    assertTrue(healthy.isOpen());
    publish(healthy, queue, "still here");
    assertEquals("still here", body(next(deliveries)));
    Channel onOtherConnection = newConnection().createChannel();
    publish(onOtherConnection, queue, "me too");
    assertEquals("me too", body(next(deliveries)));
  }

  @Test
  void aChannelErrorCancelsThatChannelsConsumersAndRequeuesItsUnackedMessages() throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    next(deliveries);

    channelError(channel, () -> channel.queueDeclarePassive(uniqueName("missing")));

    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> consumerCount(queue) == 0 && readyCount(queue) == 1);
  }

  @Test
  void publishingToAMissingExchangeClosesTheChannelWith404() throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String exchange = uniqueName("nope");

    AMQP.Channel.Close close =
        channelError(
            channel, () -> channel.basicPublish(exchange, "key", null, "m".getBytes(UTF_8)));

    assertChannelClose(
        close,
        404,
        "NOT_FOUND - no exchange '" + exchange + "' in vhost '/'",
        BASIC,
        BASIC_PUBLISH);
    assertTrue(connection.isOpen());
  }

  @Test
  void aChannelClosedByTheClientGetsCloseOkAndTheConnectionStaysOpen() throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();

    channel.close(); // waits for channel.close-ok

    assertFalse(channel.isOpen());
    assertTrue(connection.isOpen());
    assertTrue(connection.createChannel().isOpen());
  }

  @Test
  void manyChannelsOnOneConnectionWorkIndependently() throws Exception {
    Connection connection = newConnection();
    Channel setup = connection.createChannel();
    String queue = declareQueue(setup);

    for (int i = 0; i < 20; i++) {
      Channel channel = connection.createChannel();
      publish(channel, queue, "from " + channel.getChannelNumber());
      channel.close();
    }

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 20);
  }
}
