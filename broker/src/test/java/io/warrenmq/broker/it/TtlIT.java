package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * Message time to live as RabbitMQ applies it: the queue's {@code x-message-ttl} and a message's
 * own {@code expiration}, the shorter one winning; an expired message is dropped when it reaches
 * the head of its queue, so it is never delivered, got or counted.
 */
class TtlIT extends MessagingSupport {

  private static AMQP.BasicProperties expiring(String millis) {
    return new AMQP.BasicProperties.Builder().expiration(millis).build();
  }

  @Test
  void messagesOlderThanTheQueuesTtlAreNeitherCountedNorGot() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, Map.of("x-message-ttl", 200));
    publish(channel, queue, "a", "b", "c");
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .pollDelay(Duration.ofMillis(200))
        .until(() -> channel.queueDeclarePassive(queue).getMessageCount() == 0);
    assertNull(channel.basicGet(queue, true));
  }

  @Test
  void aMessagesOwnExpirationDropsItWhileLaterOnesStay() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicPublish("", queue, expiring("100"), "short".getBytes(UTF_8));
    channel.basicPublish("", queue, expiring("60000"), "long".getBytes(UTF_8));
    channel.basicPublish("", queue, null, "none".getBytes(UTF_8));
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .pollDelay(Duration.ofMillis(100))
        .until(() -> channel.queueDeclarePassive(queue).getMessageCount() == 2);
    assertEquals("long", body(channel.basicGet(queue, true)));
    assertEquals("none", body(channel.basicGet(queue, true)));
  }

  @Test
  void theShorterOfQueueTtlAndMessageExpirationWins() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, Map.of("x-message-ttl", 60_000));
    channel.basicPublish("", queue, expiring("100"), "short".getBytes(UTF_8));
    channel.basicPublish("", queue, null, "queue-ttl".getBytes(UTF_8));
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .pollDelay(Duration.ofMillis(100))
        .until(() -> channel.queueDeclarePassive(queue).getMessageCount() == 1);
    assertEquals("queue-ttl", body(channel.basicGet(queue, true)));
  }

  @Test
  void aConsumerGetsMessagesBeforeTheyExpireAndNoneAfter() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, Map.of("x-message-ttl", 200));
    publish(channel, queue, "stale");
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .pollDelay(Duration.ofMillis(200))
        .until(() -> channel.queueDeclarePassive(queue).getMessageCount() == 0);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);
    publish(channel, queue, "fresh");
    assertEquals("fresh", body(next(deliveries)));
  }
}
