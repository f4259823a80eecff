package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Quorum and priority queues across a graceful restart on the same data directory: what they hold
 * comes back with what makes them what they are — a quorum queue its transient messages too and
 * each message's delivery count, a priority queue its order.
 *
 * <p>RabbitMQ cannot be restarted from here, so these run against the in-process broker only.
 */
class RestartQueueTypesIT extends MessagingSupport {

  private static final AMQP.BasicProperties PERSISTENT =
      new AMQP.BasicProperties.Builder().deliveryMode(2).build();
  private static final AMQP.BasicProperties TRANSIENT =
      new AMQP.BasicProperties.Builder().deliveryMode(1).build();

  @BeforeEach
  void onlyInProcess() {
    assumeInProcess();
  }

  private static void restart() throws Exception {
    restartWith(config());
  }

  private Channel channel() throws Exception {
    return newConnection().createChannel();
  }

  private static Map<String, Object> quorum(Object... more) {
    Map<String, Object> args = arguments(more);
    args.put("x-queue-type", "quorum");
    return args;
  }

  private static void publishConfirmed(
      Channel channel, String queue, AMQP.BasicProperties props, String... bodies)
      throws Exception {
    channel.confirmSelect();
    for (String body : bodies) {
      channel.basicPublish("", queue, props, body.getBytes());
    }
    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);
  }

  private static List<String> drain(Channel channel, String queue) throws IOException {
    List<String> bodies = new ArrayList<>();
    for (GetResponse r = channel.basicGet(queue, true);
        r != null;
        r = channel.basicGet(queue, true)) {
      bodies.add(body(r));
    }
    return bodies;
  }

  private static Object deliveryCount(GetResponse r) {
    return r.getProps().getHeaders() == null
        ? null
        : r.getProps().getHeaders().get("x-delivery-count");
  }

  // ------------------------------------------------------------------ quorum queues

  @Test
  void aQuorumQueueComesBackWithItsTypeAndTransientMessagesToo() throws Exception {
    Channel before = channel();
    String queue = declareDurableQueue(before, quorum());
    publishConfirmed(before, queue, PERSISTENT, "persistent");
    publishConfirmed(before, queue, TRANSIENT, "transient");

    restart();

    Channel after = channel();
    after.queueDeclare(queue, true, false, false, quorum());
    assertEquals(2, after.queueDeclarePassive(queue).getMessageCount());
    assertEquals(List.of("persistent", "transient"), drain(after, queue));
    Channel other = channel();
    AMQP.Channel.Close close =
        channelError(other, () -> other.queueDeclare(queue, true, false, false, null));
    assertEquals(406, close.getReplyCode());
  }

  @Test
  void aQuorumQueueKeepsDeliveryCountsAcrossARestart() throws Exception {
    Channel before = channel();
    String dead = declareDurableQueue(before, null);
    String queue =
        declareDurableQueue(
            before,
            quorum(
                "x-delivery-limit",
                3,
                "x-dead-letter-exchange",
                "",
                "x-dead-letter-routing-key",
                dead));
    publishConfirmed(before, queue, PERSISTENT, "poison");
    for (int i = 0; i < 2; i++) {
      GetResponse r = before.basicGet(queue, false);
      before.basicNack(r.getEnvelope().getDeliveryTag(), false, true);
    }

    restart();

    Channel after = channel();
    GetResponse third = after.basicGet(queue, false);
    assertNotNull(third);
    assertEquals(2L, deliveryCount(third));
    assertTrue(third.getEnvelope().isRedeliver());
    after.basicNack(third.getEnvelope().getDeliveryTag(), false, true);
    GetResponse fourth = after.basicGet(queue, false);
    assertEquals(3L, deliveryCount(fourth));
    after.basicNack(fourth.getEnvelope().getDeliveryTag(), false, true);

    assertNull(after.basicGet(queue, true));
    assertEquals(List.of("poison"), drain(after, dead));
  }

  @Test
  void aQuorumMessageOutWithAConsumerAtTheStopComesBackCounted() throws Exception {
    Channel before = channel();
    String queue = declareDurableQueue(before, quorum());
    publishConfirmed(before, queue, PERSISTENT, "unacked");
    assertNotNull(before.basicGet(queue, false));

    restart();

    GetResponse again = channel().basicGet(queue, false);
    assertNotNull(again);
    assertTrue(again.getEnvelope().isRedeliver());
    assertEquals(1L, deliveryCount(again));
  }

  // ------------------------------------------------------------------ priority queues

  private static AMQP.BasicProperties persistentAt(int priority) {
    return new AMQP.BasicProperties.Builder().deliveryMode(2).priority(priority).build();
  }

  @Test
  void aPriorityQueueComesBackInPriorityOrder() throws Exception {
    Channel before = channel();
    String queue = declareDurableQueue(before, arguments("x-max-priority", 5));
    before.confirmSelect();
    int[] priorities = {0, 3, 5, 1, 3, 0, 9, 1};
    for (int i = 0; i < priorities.length; i++) {
      before.basicPublish("", queue, persistentAt(priorities[i]), ("m" + i).getBytes());
    }
    before.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);
    // Out with a consumer at the stop: it comes back first, flagged redelivered.
    assertEquals("m2", body(before.basicGet(queue, false)));

    restart();

    Channel after = channel();
    publishConfirmed(after, queue, persistentAt(4), "new4");
    publishConfirmed(after, queue, persistentAt(0), "new0");
    List<String> order = new ArrayList<>();
    for (GetResponse r = after.basicGet(queue, true); r != null; r = after.basicGet(queue, true)) {
      order.add(body(r) + (r.getEnvelope().isRedeliver() ? "*" : ""));
    }
    assertEquals(List.of("m2*", "m6", "new4", "m1", "m4", "m3", "m7", "m0", "m5", "new0"), order);
  }
}
