package io.warrenmq.broker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * {@code x-queue-type}: classic (the default), quorum with RabbitMQ 3.10's single-node semantics
 * (durable only, a delivery count and limit, its own overflow), and the types refused.
 */
class QueueTypeIT extends MessagingSupport {

  private static final int QUEUE = 50;
  private static final int DECLARE = 10;
  private static final Map<String, Object> QUORUM = Map.of("x-queue-type", "quorum");

  private static String resource(String queue) {
    return "queue '" + queue + "' in vhost '/'";
  }

  private static Map<String, Object> quorum(Object... more) {
    Map<String, Object> args = arguments(more);
    args.put("x-queue-type", "quorum");
    return args;
  }

  private static GetResponse awaitGet(Channel channel, String queue) {
    GetResponse[] got = new GetResponse[1];
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> (got[0] = channel.basicGet(queue, false)) != null);
    return got[0];
  }

  private static Object deliveryCount(AMQP.BasicProperties properties) {
    return properties.getHeaders() == null ? null : properties.getHeaders().get("x-delivery-count");
  }

  // ---------------------------------------------------------------- declaration

  @Test
  void aQuorumQueueIsDeclaredDurableAndRedeclaredTheSame() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, QUORUM);
    AMQP.Queue.DeclareOk again = channel.queueDeclare(queue, true, false, false, QUORUM);
    assertEquals(queue, again.getQueue());
    assertEquals(queue, channel.queueDeclarePassive(queue).getQueue());
  }

  @Test
  void aNonDurableQuorumQueueIsRefused() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("qq");
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid property 'non-durable' for " + resource(queue),
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, false, false, false, QUORUM));
  }

  @Test
  void anExclusiveQuorumQueueIsRefused() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("qq");
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid property 'exclusive-owner' for " + resource(queue),
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, false, true, false, QUORUM));
  }

  @Test
  void anAutoDeleteQuorumQueueIsRefusedBeforeItsOtherProperties() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("qq");
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid property 'auto-delete' for " + resource(queue),
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, false, true, true, QUORUM));
  }

  @Test
  void aQuorumQueueRefusesClassicArgumentsBeforeItsProperties() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("qq");
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid arg 'x-max-priority' for "
            + resource(queue)
            + " of queue type rabbit_quorum_queue",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, false, false, false, quorum("x-max-priority", 5)));
  }

  @Test
  void aServerNamedQuorumQueueIsRefused() throws Exception {
    Channel channel = newConnection().createChannel();
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_quorum_queue",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare("", true, false, false, QUORUM));
  }

  @Test
  void redeclaringAQuorumQueueAsClassicIsInequivalent() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, QUORUM);
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for "
            + resource(queue)
            + ": received 'classic' but current is 'quorum'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "classic")));
  }

  @Test
  void redeclaringAQuorumQueueWithoutItsTypeIsInequivalent() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, QUORUM);
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for "
            + resource(queue)
            + ": received none but current is the value 'quorum' of type 'longstr'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, true, false, false, null));
  }

  @Test
  void redeclaringAClassicQueueAsQuorumIsInequivalent() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, null);
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for "
            + resource(queue)
            + ": received the value 'quorum' of type 'longstr' but current is none",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, true, false, false, QUORUM));
  }

  @Test
  void aQuorumQueueComparesItsDeliveryLimitButNotClassicArguments() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, quorum("x-delivery-limit", 5));
    // x-max-priority is not a quorum queue argument: not compared.
    channel.queueDeclare(
        queue, true, false, false, quorum("x-delivery-limit", 5, "x-max-priority", 3));
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for "
            + resource(queue)
            + ": received '6' but current is '5'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, true, false, false, quorum("x-delivery-limit", 6)));
  }

  @Test
  void anUnknownQueueTypeIsRefused() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("q");
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid arg 'x-queue-type' for "
            + resource(queue)
            + ": \"unsupported queue type 'lazy'\"",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "lazy")));
  }

  @Test
  void aQueueTypeThatIsNotAStringIsRefused() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("q");
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid arg 'x-queue-type' for "
            + resource(queue)
            + ": {unacceptable_type,signedint}",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", 2)));
  }

  @Test
  void aStreamIsRefusedNotMadeAClassicQueue() throws Exception {
    assumeInProcess(); // RabbitMQ has streams; WarrenMQ refuses them
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("stream");
    CloseAssertions.assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid arg 'x-queue-type' for "
            + resource(queue)
            + ": \"unsupported queue type 'stream'\"",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "stream")));
    Channel other = newConnection().createChannel();
    CloseAssertions.assertChannelClose(
        404,
        "NOT_FOUND - no " + resource(queue),
        QUEUE,
        DECLARE,
        () -> other.queueDeclarePassive(queue));
  }

  // ---------------------------------------------------------------- delivery count and limit

  @Test
  void aRedeliveryFromAQuorumQueueCarriesItsDeliveryCount() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, QUORUM);
    publish(channel, queue, "counted");
    Channel consuming = newConnection().createChannel();
    BlockingQueue<Delivery> deliveries = consume(consuming, queue, false);

    Delivery first = next(deliveries);
    assertNull(deliveryCount(first.getProperties()), "a first delivery has no count");
    assertFalse(first.getEnvelope().isRedeliver());
    consuming.basicNack(first.getEnvelope().getDeliveryTag(), false, true);
    Delivery second = next(deliveries);
    assertEquals(1L, deliveryCount(second.getProperties()));
    assertTrue(second.getEnvelope().isRedeliver());
    consuming.basicReject(second.getEnvelope().getDeliveryTag(), true);
    Delivery third = next(deliveries);
    assertEquals(2L, deliveryCount(third.getProperties()));
    assertEquals("counted", body(third));
  }

  @Test
  void basicGetFromAQuorumQueueAlwaysCarriesTheCount() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, QUORUM);
    channel.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder().headers(Map.of("app", "kept")).build(),
        "got".getBytes());
    GetResponse first = awaitGet(channel, queue);
    assertEquals(0L, deliveryCount(first.getProps()));
    assertEquals("kept", first.getProps().getHeaders().get("app").toString());
    channel.close();

    // A channel closed with the message unacknowledged returns it: that counts too.
    Channel again = newConnection().createChannel();
    GetResponse second = awaitGet(again, queue);
    assertEquals(1L, deliveryCount(second.getProps()));
    assertTrue(second.getEnvelope().isRedeliver());
  }

  @Test
  void aClassicQueueAddsNoDeliveryCount() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "plain");
    GetResponse first = awaitGet(channel, queue);
    channel.basicNack(first.getEnvelope().getDeliveryTag(), false, true);
    GetResponse second = awaitGet(channel, queue);
    assertTrue(second.getEnvelope().isRedeliver());
    assertNull(deliveryCount(second.getProps()));
  }

  @Test
  void aMessageReturnedMoreOftenThanTheDeliveryLimitIsDeadLettered() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String queue =
        declareDurableQueue(
            channel,
            quorum(
                "x-delivery-limit",
                2,
                "x-dead-letter-exchange",
                "",
                "x-dead-letter-routing-key",
                dead));
    publish(channel, queue, "poison");

    for (int delivery = 0; delivery <= 2; delivery++) {
      GetResponse r = awaitGet(channel, queue);
      assertEquals((long) delivery, deliveryCount(r.getProps()));
      channel.basicNack(r.getEnvelope().getDeliveryTag(), false, true);
    }

    GetResponse letter = awaitGet(channel, dead);
    assertEquals("poison", body(letter));
    Map<String, Object> headers = letter.getProps().getHeaders();
    assertEquals("delivery_limit", headers.get("x-first-death-reason").toString());
    assertFalse(headers.containsKey("x-delivery-count"), headers.toString());
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> deaths = (List<Map<String, Object>>) headers.get("x-death");
    assertEquals("delivery_limit", deaths.get(0).get("reason").toString());
    assertEquals(queue, deaths.get(0).get("queue").toString());
    assertNull(channel.basicGet(queue, true));
  }

  @Test
  void aDeliveryLimitOfZeroWithoutDeadLetterExchangeDropsAtTheFirstReturn() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareDurableQueue(channel, quorum("x-delivery-limit", 0));
    publish(channel, queue, "once", "kept");
    GetResponse once = awaitGet(channel, queue);
    assertEquals("once", body(once));
    channel.basicReject(once.getEnvelope().getDeliveryTag(), true);

    GetResponse next = awaitGet(channel, queue);
    assertEquals("kept", body(next));
    channel.basicAck(next.getEnvelope().getDeliveryTag(), false);
    assertNull(channel.basicGet(queue, true));
  }

  // ---------------------------------------------------------------- overflow

  @Test
  void aQuorumQueueRejectsPublishesOnceOverItsLimitUntilBackToEightyPercent() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue =
        declareDurableQueue(channel, quorum("x-max-length", 10, "x-overflow", "reject-publish"));
    channel.confirmSelect();
    List<Boolean> accepted = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      accepted.add(publishConfirmed(channel, queue));
    }
    // Unlike a classic queue, it takes one more than its limit, then refuses.
    assertEquals(11, accepted.stream().filter(a -> a).count(), accepted.toString());
    assertFalse(accepted.get(11));

    drainTo(channel, queue, 9);
    assertFalse(publishConfirmed(channel, queue), "still refusing at 9 of 10");
    drainTo(channel, queue, 8);
    assertTrue(publishConfirmed(channel, queue), "taking again at 8 of 10");
  }

  @Test
  void aQuorumQueueDropsTheHeadForRejectPublishDlx() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String queue =
        declareDurableQueue(
            channel,
            quorum(
                "x-max-length",
                2,
                "x-overflow",
                "reject-publish-dlx",
                "x-dead-letter-exchange",
                "",
                "x-dead-letter-routing-key",
                dead));
    channel.confirmSelect();
    for (int i = 1; i <= 3; i++) {
      assertTrue(publishConfirmed(channel, queue, "m" + i));
    }
    GetResponse letter = awaitGet(channel, dead);
    assertEquals("m1", body(letter));
    assertEquals("maxlen", letter.getProps().getHeaders().get("x-first-death-reason").toString());
    assertEquals("m2", body(awaitGet(channel, queue)));
  }

  private static boolean publishConfirmed(Channel channel, String queue) throws Exception {
    return publishConfirmed(channel, queue, "m");
  }

  private static boolean publishConfirmed(Channel channel, String queue, String body)
      throws Exception {
    channel.basicPublish("", queue, null, body.getBytes());
    try {
      return channel.waitForConfirms(TIMEOUT_SECONDS * 1000);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no confirm", e);
    }
  }

  /** Takes messages until {@code queue} has {@code ready} left. */
  private void drainTo(Channel channel, String queue, int ready) throws Exception {
    while (readyCount(queue) > ready) {
      assertNotNull(channel.basicGet(queue, true));
    }
  }
}
