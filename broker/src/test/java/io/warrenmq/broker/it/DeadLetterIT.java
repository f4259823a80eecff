package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Dead-letter exchanges as RabbitMQ 3.10 has them: messages rejected without requeue, expired, or
 * dropped by a queue's length limit go to the queue's {@code x-dead-letter-exchange}, with the
 * {@code x-death} history RabbitMQ writes.
 */
class DeadLetterIT extends MessagingSupport {

  private String declareExchange(Channel channel, String type) throws Exception {
    String exchange = uniqueName("dlx");
    channel.exchangeDeclare(exchange, type, false, true, null);
    return exchange;
  }

  private static GetResponse awaitGet(Channel channel, String queue) throws Exception {
    GetResponse[] got = new GetResponse[1];
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> (got[0] = channel.basicGet(queue, true)) != null);
    return got[0];
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> deaths(GetResponse r) {
    return (List<Map<String, Object>>) r.getProps().getHeaders().get("x-death");
  }

  private static String text(Object v) {
    return v == null ? null : v.toString();
  }

  @Test
  void aRejectedMessageGoesToTheDeadLetterExchangeWithItsHistory() throws Exception {
    Channel channel = newConnection().createChannel();
    String dlx = declareExchange(channel, "fanout");
    String dead = declareQueue(channel);
    channel.queueBind(dead, dlx, "");
    String source = declareQueue(channel, arguments("x-dead-letter-exchange", dlx));
    channel.basicPublish(
        "",
        source,
        new AMQP.BasicProperties.Builder().headers(Map.of("app", "kept")).build(),
        "refused".getBytes(UTF_8));
    GetResponse got = channel.basicGet(source, false);
    channel.basicReject(got.getEnvelope().getDeliveryTag(), false);

    GetResponse r = awaitGet(channel, dead);
    assertEquals("refused", body(r));
    assertEquals(dlx, r.getEnvelope().getExchange());
    assertEquals(source, r.getEnvelope().getRoutingKey());
    Map<String, Object> headers = r.getProps().getHeaders();
    assertEquals("kept", text(headers.get("app")));
    assertEquals("rejected", text(headers.get("x-first-death-reason")));
    assertEquals(source, text(headers.get("x-first-death-queue")));
    assertEquals("", text(headers.get("x-first-death-exchange")));
    List<Map<String, Object>> deaths = deaths(r);
    assertEquals(1, deaths.size());
    Map<String, Object> death = deaths.get(0);
    assertEquals(1L, death.get("count"));
    assertEquals("rejected", text(death.get("reason")));
    assertEquals(source, text(death.get("queue")));
    assertEquals("", text(death.get("exchange")));
    assertEquals(
        List.of(source),
        ((List<?>) death.get("routing-keys")).stream().map(Object::toString).toList());
    assertInstanceOf(java.util.Date.class, death.get("time"));
    assertEquals(0, channel.queueDeclarePassive(source).getMessageCount());
  }

  @Test
  void nackWithoutRequeueDeadLettersEveryMessageInOrder() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String source =
        declareQueue(
            channel, arguments("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead));
    publish(channel, source, "a", "b", "c");
    GetResponse last = null;
    for (int i = 0; i < 3; i++) {
      last = channel.basicGet(source, false);
    }
    channel.basicNack(last.getEnvelope().getDeliveryTag(), true, false);
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      GetResponse r = awaitGet(channel, dead);
      bodies.add(body(r));
      assertEquals(dead, r.getEnvelope().getRoutingKey(), "the dead-letter routing key");
    }
    assertEquals(List.of("a", "b", "c"), bodies);
  }

  @Test
  void anExpiredMessageIsDeadLetteredWithItsOriginalExpiration() throws Exception {
    Channel channel = newConnection().createChannel();
    String dlx = declareExchange(channel, "direct");
    String dead = declareQueue(channel);
    channel.queueBind(dead, dlx, "late");
    String source =
        declareQueue(
            channel, arguments("x-dead-letter-exchange", dlx, "x-dead-letter-routing-key", "late"));
    channel.basicPublish(
        "",
        source,
        new AMQP.BasicProperties.Builder().expiration("50").build(),
        "stale".getBytes(UTF_8));
    GetResponse r = awaitGet(channel, dead);
    assertEquals("stale", body(r));
    assertNull(r.getProps().getExpiration(), "the expiration is not carried on");
    Map<String, Object> death = deaths(r).get(0);
    assertEquals("expired", text(death.get("reason")));
    assertEquals("50", text(death.get("original-expiration")));
    assertEquals("late", r.getEnvelope().getRoutingKey());
  }

  @Test
  void aMissingDeadLetterExchangeDropsTheMessage() throws Exception {
    Channel channel = newConnection().createChannel();
    String source =
        declareQueue(channel, arguments("x-dead-letter-exchange", uniqueName("nowhere")));
    publish(channel, source, "gone");
    GetResponse got = channel.basicGet(source, false);
    channel.basicReject(got.getEnvelope().getDeliveryTag(), false);
    assertNull(channel.basicGet(source, true));
    assertTrue(channel.isOpen());
  }

  @Test
  void aMessageRejectedAgainAndAgainCountsItsDeathsPerQueueMostRecentFirst() throws Exception {
    Channel channel = newConnection().createChannel();
    String a = uniqueName("a");
    String b = uniqueName("b");
    channel.queueDeclare(
        a,
        false,
        false,
        false,
        arguments("x-dead-letter-exchange", "", "x-dead-letter-routing-key", b));
    channel.queueDeclare(
        b,
        false,
        false,
        false,
        arguments("x-dead-letter-exchange", "", "x-dead-letter-routing-key", a));
    try {
      publish(channel, a, "ping-pong");
      String[] path = {a, b, a};
      GetResponse r = null;
      for (String q : path) {
        GetResponse[] got = new GetResponse[1];
        await()
            .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
            .until(() -> (got[0] = channel.basicGet(q, false)) != null);
        channel.basicReject(got[0].getEnvelope().getDeliveryTag(), false);
        r = got[0];
      }
      GetResponse last = awaitGet(channel, b);
      assertNotNull(r);
      List<Map<String, Object>> deaths = deaths(last);
      assertEquals(2, deaths.size());
      assertEquals(a, text(deaths.get(0).get("queue")));
      assertEquals(2L, deaths.get(0).get("count"));
      assertEquals(b, text(deaths.get(1).get("queue")));
      assertEquals(1L, deaths.get(1).get("count"));
      assertEquals(a, text(last.getProps().getHeaders().get("x-first-death-queue")));
    } finally {
      channel.queueDelete(a);
      channel.queueDelete(b);
    }
  }

  @Test
  void aMessageExpiringIntoItsOwnQueueIsDroppedNotLoopedForever() throws Exception {
    Channel channel = newConnection().createChannel();
    String q = uniqueName("loop");
    channel.queueDeclare(
        q, false, false, false, arguments("x-message-ttl", 50, "x-dead-letter-exchange", ""));
    try {
      publish(channel, q, "round and round");
      Thread.sleep(400);
      assertEquals(0, channel.queueDeclarePassive(q).getMessageCount());
      assertNull(channel.basicGet(q, true));
    } finally {
      channel.queueDelete(q);
    }
  }

  // ---------------------------------------------------------------- histories of older versions

  private static Map<String, Object> entry(Object... pairs) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }

  private static final java.util.Date EARLY = new java.util.Date(1_400_000_000_000L);
  private static final java.util.Date LATER = new java.util.Date(1_500_000_000_000L);

  /** Publishes {@code history} as x-death to {@code source} and rejects it into {@code dead}. */
  private GetResponse rejectWithHistory(Channel channel, String source, String dead, Object history)
      throws Exception {
    channel.basicPublish(
        "",
        source,
        new AMQP.BasicProperties.Builder()
            .headers(entry("x-death", history, "app", "kept"))
            .build(),
        "old".getBytes(UTF_8));
    GetResponse got = awaitGetNoAck(channel, source);
    channel.basicReject(got.getEnvelope().getDeliveryTag(), false);
    return awaitGet(channel, dead);
  }

  private static GetResponse awaitGetNoAck(Channel channel, String queue) {
    GetResponse[] got = new GetResponse[1];
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> (got[0] = channel.basicGet(queue, false)) != null);
    return got[0];
  }

  @Test
  void aHistoryWrittenOnePerDeathIsMergedPerQueueAndReason() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String source =
        declareQueue(
            channel, arguments("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead));
    List<Object> history =
        List.of(
            entry("reason", "expired", "queue", "qa", "time", LATER, "exchange", "x1"),
            entry("reason", "rejected", "queue", source, "time", LATER, "exchange", "x2"),
            entry("reason", "expired", "queue", "qa", "time", EARLY, "exchange", "x3"),
            entry("reason", "rejected", "queue", source, "time", EARLY, "exchange", "x4"),
            entry("reason", "maxlen", "queue", "qb", "time", EARLY, "exchange", "x5", "count", 7));

    GetResponse r = rejectWithHistory(channel, source, dead, history);

    Map<String, Object> headers = r.getProps().getHeaders();
    assertEquals("kept", text(headers.get("app")));
    // The header existed: RabbitMQ adds no x-first-death-* to it.
    assertNull(headers.get("x-first-death-reason"));
    List<Map<String, Object>> deaths = deaths(r);
    assertEquals(3, deaths.size());
    // This death counts on the group's first entry (its time and exchange kept), and goes first.
    assertEquals(source, text(deaths.get(0).get("queue")));
    assertEquals("rejected", text(deaths.get(0).get("reason")));
    assertEquals(3L, deaths.get(0).get("count"));
    assertEquals("x2", text(deaths.get(0).get("exchange")));
    assertEquals(LATER, deaths.get(0).get("time"));
    // The other groups follow in reverse order of first appearance, as RabbitMQ leaves them.
    assertEquals("qb", text(deaths.get(1).get("queue")));
    assertEquals(7, ((Number) deaths.get(1).get("count")).intValue());
    assertEquals("qa", text(deaths.get(2).get("queue")));
    assertEquals(2L, deaths.get(2).get("count"));
    assertEquals("x1", text(deaths.get(2).get("exchange")));
  }

  @Test
  void aLoneEntryWithoutCountCountsOneWhenItDiesThereAgain() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String source =
        declareQueue(
            channel, arguments("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead));
    List<Object> history =
        List.of(entry("reason", "rejected", "queue", source, "time", EARLY, "exchange", "x"));

    List<Map<String, Object>> deaths = deaths(rejectWithHistory(channel, source, dead, history));

    assertEquals(1, deaths.size());
    assertEquals(1L, deaths.get(0).get("count"));
    assertEquals(EARLY, deaths.get(0).get("time"));
  }

  @Test
  void anXDeathThatIsNotAnArrayIsReplacedWithOneEntry() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String source =
        declareQueue(
            channel, arguments("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead));

    GetResponse r = rejectWithHistory(channel, source, dead, "rewritten by a client");

    List<Map<String, Object>> deaths = deaths(r);
    assertEquals(1, deaths.size());
    assertEquals(1L, deaths.get(0).get("count"));
    assertEquals(source, text(deaths.get(0).get("queue")));
    assertNull(r.getProps().getHeaders().get("x-first-death-queue"));
  }

  @Test
  void deathsInFourQueuesAreListedInRabbitMqsOrder() throws Exception {
    Channel channel = newConnection().createChannel();
    String end = declareQueue(channel);
    String[] chain = new String[4];
    String next = end;
    for (int i = chain.length - 1; i >= 0; i--) {
      chain[i] =
          declareQueue(
              channel, arguments("x-dead-letter-exchange", "", "x-dead-letter-routing-key", next));
      next = chain[i];
    }
    publish(channel, chain[0], "along");
    for (String q : chain) {
      GetResponse got = awaitGetNoAck(channel, q);
      channel.basicReject(got.getEnvelope().getDeliveryTag(), false);
    }

    List<Map<String, Object>> deaths = deaths(awaitGet(channel, end));

    // Most recent first, then the rest reordered by each regrouping (rabbit_dead_letter's fold).
    List<String> queues = new ArrayList<>();
    for (Map<String, Object> d : deaths) {
      queues.add(text(d.get("queue")));
    }
    assertEquals(List.of(chain[3], chain[1], chain[0], chain[2]), queues);
  }

  @Test
  void aCycleIsJudgedByTheDeathsSinceTheQueueLastDied() throws Exception {
    Channel channel = newConnection().createChannel();
    String target = declareQueue(channel);
    String source =
        declareQueue(
            channel,
            arguments(
                "x-message-ttl",
                1,
                "x-dead-letter-exchange",
                "",
                "x-dead-letter-routing-key",
                target));
    // Regrouped, the history puts the target's expiry before the rejection elsewhere: between
    // this death and the target's last one there is no rejection, so it is a cycle.
    List<Object> history =
        List.of(
            entry("reason", "rejected", "queue", "elsewhere", "count", 1L),
            entry("reason", "expired", "queue", target, "count", 1L));
    channel.basicPublish(
        "",
        source,
        new AMQP.BasicProperties.Builder().headers(entry("x-death", history)).build(),
        "cycling".getBytes(UTF_8));
    publish(channel, source, "fresh");

    // Dead letters leave in order: once the fresh one is there, the cycling one was dropped.
    GetResponse first = awaitGet(channel, target);
    assertEquals("fresh", body(first));
  }
}
