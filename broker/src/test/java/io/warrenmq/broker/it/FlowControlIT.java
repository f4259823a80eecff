package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.warrenmq.broker.BrokerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resource limits of {@link BrokerConfig.Limits}: the memory high watermark, which blocks
 * publishing connections with RabbitMQ's connection.blocked extension, and the largest message
 * accepted. They are WarrenMQ settings, so these tests run against the in-process broker only.
 */
class FlowControlIT extends MessagingSupport {

  private static final int BODY_SIZE = 64 * 1024;

  @BeforeEach
  void onlyInProcess() {
    assumeInProcess();
  }

  private static void restartWithLimits(double memoryHighWatermark, int maxMessageSize)
      throws Exception {
    BrokerConfig.Limits defaults = BrokerConfig.Limits.defaults();
    restartWith(
        config()
            .withLimits(
                new BrokerConfig.Limits(
                    defaults.frameMax(),
                    defaults.channelMax(),
                    defaults.heartbeatSeconds(),
                    maxMessageSize,
                    memoryHighWatermark,
                    defaults.queueBacklogBytes())));
  }

  /** The watermark, as a fraction of this JVM's heap, that {@code bytes} of bodies exceed. */
  private static double watermarkOf(long bytes) {
    return (double) bytes / Runtime.getRuntime().maxMemory();
  }

  @Test
  void aPublisherIsBlockedWhenMemoryRunsLowAndUnblockedOnceAConsumerDrains() throws Exception {
    restartWithLimits(watermarkOf(4 * BODY_SIZE), BrokerConfig.Limits.defaults().maxMessageSize());
    Connection consumerConnection = newConnection();
    List<String> consumerNotices = new CopyOnWriteArrayList<>();
    consumerConnection.addBlockedListener(recorder(consumerNotices, null, null));
    Connection publisherConnection = newConnection();
    List<String> notices = new CopyOnWriteArrayList<>();
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch unblocked = new CountDownLatch(1);
    publisherConnection.addBlockedListener(recorder(notices, blocked, unblocked));
    Channel publisher = publisherConnection.createChannel();
    String queue = declareQueue(publisher);
    byte[] body = new byte[BODY_SIZE];

    // RabbitMQ blocks a connection when it publishes while memory is low; the publisher's socket
    // writes may then stall, so publish from another thread until the block is announced
    CompletableFuture<Integer> published =
        CompletableFuture.supplyAsync(
            () -> {
              int count = 0;
              try {
                while (blocked.getCount() > 0 && count < 1000) {
                  publisher.basicPublish("", queue, null, body);
                  count++;
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              return count;
            });

    assertTrue(blocked.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "no connection.blocked");
    assertEquals(List.of("blocked: low on memory"), notices);
    BlockingQueue<Delivery> deliveries = consume(consumerConnection.createChannel(), queue, true);
    assertTrue(unblocked.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "no connection.unblocked");
    int count = published.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    for (int i = 0; i < count; i++) {
      assertArrayEquals(body, next(deliveries).getBody());
    }
    // Publishes still in the socket when the block came are read after it lifts and may set the
    // alarm once more before the consumer takes them: blocks and unblocks alternate, ending
    // unblocked.
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> notices.get(notices.size() - 1).equals("unblocked"));
    for (int i = 0; i < notices.size(); i++) {
      assertEquals(
          i % 2 == 0 ? "blocked: low on memory" : "unblocked", notices.get(i), notices::toString);
    }
    assertEquals(List.of(), consumerNotices, "a connection that only consumes is never blocked");
  }

  @Test
  void aBlockedPublisherCanPublishAgainOnceUnblocked() throws Exception {
    restartWithLimits(watermarkOf(2 * BODY_SIZE), BrokerConfig.Limits.defaults().maxMessageSize());
    Connection publisherConnection = newConnection();
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch unblocked = new CountDownLatch(1);
    publisherConnection.addBlockedListener(
        recorder(new CopyOnWriteArrayList<>(), blocked, unblocked));
    Channel publisher = publisherConnection.createChannel();
    String queue = declareQueue(publisher);
    byte[] body = new byte[BODY_SIZE];
    CompletableFuture<Void> filling =
        CompletableFuture.runAsync(
            () -> {
              try {
                for (int i = 0; i < 1000 && blocked.getCount() > 0; i++) {
                  publisher.basicPublish("", queue, null, body);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertTrue(blocked.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "no connection.blocked");

    // A consumer drains whatever the publisher still had in flight, and picks out the probe.
    Channel drain = newConnection().createChannel();
    BlockingQueue<String> small = new LinkedBlockingQueue<>();
    drain.basicConsume(
        queue,
        true,
        (tag, delivery) -> {
          if (delivery.getBody().length < BODY_SIZE) {
            small.add(new String(delivery.getBody(), UTF_8));
          }
        },
        tag -> {});

    assertTrue(unblocked.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "no connection.unblocked");
    filling.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    publisher.basicPublish("", queue, null, "small".getBytes(UTF_8));
    assertEquals("small", small.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void aMessageLargerThanTheMaximumClosesTheChannelWith406() throws Exception {
    restartWithLimits(BrokerConfig.Limits.defaults().memoryHighWatermark(), 100);
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);

    AMQP.Channel.Close close =
        channelError(channel, () -> channel.basicPublish("", queue, null, new byte[200]));

    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - message size 200 is larger than configured max size 100",
        BASIC,
        BASIC_PUBLISH);
    assertTrue(connection.isOpen(), "only the channel is closed");
  }

  @Test
  void aMessageOfExactlyTheMaximumSizeIsAccepted() throws Exception {
    restartWithLimits(BrokerConfig.Limits.defaults().memoryHighWatermark(), 100);
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.confirmSelect();

    channel.basicPublish("", queue, null, new byte[100]);

    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);
    assertEquals(100, channel.basicGet(queue, true).getBody().length);
  }

  private static BlockedListener recorder(
      List<String> notices, CountDownLatch blocked, CountDownLatch unblocked) {
    return new BlockedListener() {
      @Override
      public void handleBlocked(String reason) {
        notices.add("blocked: " + reason);
        if (blocked != null) {
          blocked.countDown();
        }
      }

      @Override
      public void handleUnblocked() {
        notices.add("unblocked");
        if (unblocked != null) {
          unblocked.countDown();
        }
      }
    };
  }
}
