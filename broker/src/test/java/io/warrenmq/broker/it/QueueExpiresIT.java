package io.warrenmq.broker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Queue leases ({@code x-expires}) as RabbitMQ has them: a queue unused for its lease — no
 * consumers, no basic.get, no declare (a passive one too) — is deleted, messages and all; a
 * consumer keeps it alive, and the lease starts again when the last consumer leaves. The tests look
 * less often than the lease, since looking (a passive declare) renews it.
 */
class QueueExpiresIT extends MessagingSupport {

  private boolean exists(String queue) throws Exception {
    try (Connection c = connectionFactory().newConnection()) {
      c.createChannel().queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void anUnusedQueueIsDeletedWhenItsLeaseRunsOut() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("lease");
    channel.queueDeclare(queue, false, false, false, Map.of("x-expires", 300));
    publish(channel, queue, "lost with the queue");
    assertTrue(exists(queue));
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .pollDelay(Duration.ofSeconds(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> !exists(queue));
  }

  @Test
  void aConsumerKeepsTheQueueAndTheLeaseStartsWhenItLeaves() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("lease");
    channel.queueDeclare(queue, false, false, false, Map.of("x-expires", 300));
    String tag = channel.basicConsume(queue, true, (t, d) -> {}, t -> {});
    Thread.sleep(900);
    assertTrue(exists(queue), "a queue with a consumer is in use");
    assertEquals(1, consumerCount(queue));
    channel.basicCancel(tag);
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .pollDelay(Duration.ofSeconds(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> !exists(queue));
  }
}
