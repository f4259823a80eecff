package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.CloseAssertions.assertChannelClose;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How queues come and go: purge, delete with its conditions, exclusive and auto-delete queues, and
 * the consumer cancel notification a consumer gets when its queue is deleted.
 */
class QueueLifecycleIT extends BrokerTestSupport {

  private static final int QUEUE = 50;
  private static final int PURGE = 30;
  private static final int DELETE = 40;
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private Connection connection;
  private Connection probes;
  private Channel channel;
  private String name;

  @BeforeEach
  void open() throws Exception {
    connection = newConnection();
    probes = newConnection();
    channel = connection.createChannel();
    name = uniqueName("q");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (connection.isOpen()) {
      try (Channel c = connection.createChannel()) {
        c.queueDelete(name);
      }
    }
  }

  @Test
  void purgeReturnsTheNumberOfMessagesRemoved() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    publishConfirmed(name, 3);

    assertEquals(3, channel.queuePurge(name).getMessageCount());
    assertEquals(0, channel.queueDeclarePassive(name).getMessageCount());
    assertEquals(0, channel.queuePurge(name).getMessageCount());
  }

  @Test
  void purgeLeavesDeliveredUnacknowledgedMessages() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    publishConfirmed(name, 3);
    Channel consuming = connection.createChannel();
    consuming.basicQos(1);
    CountDownLatch delivered = new CountDownLatch(1);
    consuming.basicConsume(name, false, countingConsumer(consuming, delivered));
    assertTrue(delivered.await(10, TimeUnit.SECONDS), "first delivery");

    assertEquals(2, channel.queuePurge(name).getMessageCount());

    // Closing the consumer's channel requeues the one message purge did not touch.
    consuming.close();
    await().atMost(DEADLINE).until(() -> channel.queueDeclarePassive(name).getMessageCount() == 1);
  }

  @Test
  void purgingAMissingQueueClosesChannelWith404() {
    assertChannelClose(
        404,
        "NOT_FOUND - no queue '" + name + "' in vhost '/'",
        QUEUE,
        PURGE,
        () -> channel.queuePurge(name));
  }

  @Test
  void deleteReturnsTheNumberOfMessagesDeleted() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    publishConfirmed(name, 3);

    assertEquals(3, channel.queueDelete(name).getMessageCount());
    assertQueueMissing(name);
  }

  @Test
  void deletingAMissingQueueSucceeds() throws Exception {
    // RabbitMQ 3.x answers delete-ok with a count of zero for a queue that does not exist.
    assertEquals(0, channel.queueDelete(name).getMessageCount());
    assertTrue(channel.isOpen());
  }

  @Test
  void deleteIfUnusedOfAQueueWithAConsumerClosesChannelWith406() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    Channel consuming = connection.createChannel();
    consuming.basicConsume(name, true, new DefaultConsumer(consuming));

    assertChannelClose(
        406,
        "PRECONDITION_FAILED - queue '" + name + "' in vhost '/' in use",
        QUEUE,
        DELETE,
        () -> channel.queueDelete(name, true, false));
  }

  @Test
  void deleteIfUnusedOfAQueueWithoutConsumersSucceeds() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    publishConfirmed(name, 2);

    assertEquals(2, channel.queueDelete(name, true, false).getMessageCount());
    assertQueueMissing(name);
  }

  @Test
  void deleteIfEmptyOfAQueueWithMessagesClosesChannelWith406() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    publishConfirmed(name, 1);

    assertChannelClose(
        406,
        "PRECONDITION_FAILED - queue '" + name + "' in vhost '/' not empty",
        QUEUE,
        DELETE,
        () -> channel.queueDelete(name, false, true));
  }

  @Test
  void deleteIfEmptyOfAnEmptyQueueSucceeds() throws Exception {
    channel.queueDeclare(name, false, false, false, null);

    assertEquals(0, channel.queueDelete(name, false, true).getMessageCount());
    assertQueueMissing(name);
  }

  @Test
  void exclusiveQueueIsDeletedWhenItsConnectionCloses() throws Exception {
    channel.queueDeclare(name, false, true, false, null);

    connection.close();

    await().atMost(DEADLINE).until(() -> !queueExists(name));
  }

  @Test
  void exclusiveQueueOutlivesTheChannelThatDeclaredIt() throws Exception {
    channel.queueDeclare(name, false, true, false, null);

    channel.close();

    assertEquals(name, connection.createChannel().queueDeclarePassive(name).getQueue());
  }

  @Test
  void autoDeleteQueueWithoutConsumersIsNotDeleted() throws Exception {
    channel.queueDeclare(name, false, false, true, null);
    publishConfirmed(name, 1);
    assertNotNull(channel.basicGet(name, true));

    // basic.get is not a consumer, so the queue stays.
    assertEquals(0, channel.queueDeclarePassive(name).getMessageCount());
  }

  @Test
  void autoDeleteQueueIsDeletedWhenItsLastConsumerCancels() throws Exception {
    channel.queueDeclare(name, false, false, true, null);
    Channel consuming = connection.createChannel();
    String first = consuming.basicConsume(name, true, new DefaultConsumer(consuming));
    String second = consuming.basicConsume(name, true, new DefaultConsumer(consuming));

    consuming.basicCancel(first);
    assertEquals(1, channel.queueDeclarePassive(name).getConsumerCount());

    consuming.basicCancel(second);
    await().atMost(DEADLINE).until(() -> !queueExists(name));
  }

  @Test
  void autoDeleteQueueIsDeletedWhenItsConsumersChannelCloses() throws Exception {
    channel.queueDeclare(name, false, false, true, null);
    Channel consuming = connection.createChannel();
    consuming.basicConsume(name, true, new DefaultConsumer(consuming));

    consuming.close();

    await().atMost(DEADLINE).until(() -> !queueExists(name));
  }

  @Test
  void consumerOfADeletedQueueIsCancelledAndItsChannelStaysOpen() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    Channel consuming = connection.createChannel();
    CompletableFuture<String> cancelled = new CompletableFuture<>();
    String tag =
        consuming.basicConsume(
            name,
            true,
            new DefaultConsumer(consuming) {
              @Override
              public void handleCancel(String consumerTag) {
                cancelled.complete(consumerTag);
              }
            });

    newConnection().createChannel().queueDelete(name);

    // RabbitMQ's consumer_cancel_notify capability: basic.cancel from the server.
    assertEquals(tag, cancelled.get(10, TimeUnit.SECONDS));
    assertTrue(consuming.isOpen());
    assertTrue(consuming.queueDeclare().getQueue().startsWith("amq.gen-"));
  }

  private DefaultConsumer countingConsumer(Channel on, CountDownLatch delivered) {
    return new DefaultConsumer(on) {
      @Override
      public void handleDelivery(
          String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        delivered.countDown();
      }
    };
  }

  private void publishConfirmed(String queue, int count) throws Exception {
    try (Channel publisher = connection.createChannel()) {
      publisher.confirmSelect();
      for (int i = 0; i < count; i++) {
        publisher.basicPublish(
            "", queue, MessageProperties.MINIMAL_BASIC, ("m" + i).getBytes(StandardCharsets.UTF_8));
      }
      publisher.waitForConfirmsOrDie(10_000);
    }
  }

  private void assertQueueMissing(String queue) throws Exception {
    Channel probe = probes.createChannel();
    assertChannelClose(
        404,
        "NOT_FOUND - no queue '" + queue + "' in vhost '/'",
        QUEUE,
        10,
        () -> probe.queueDeclarePassive(queue));
  }

  /** Asks on a channel of its own, since a 404 closes the asking channel. */
  private boolean queueExists(String queue) throws Exception {
    Channel probe = probes.createChannel();
    try {
      probe.queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
