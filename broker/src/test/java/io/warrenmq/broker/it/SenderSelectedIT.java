package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sender-selected distribution, RabbitMQ's extension: the {@code CC} and {@code BCC} headers,
 * arrays of long strings, route the message with further routing keys on the same exchange;
 * receivers see {@code CC} but never {@code BCC}. Entries that are not long strings are ignored; a
 * header that is not an array is refused. A message dead-lettered with a new routing key loses
 * {@code CC}.
 */
class SenderSelectedIT extends MessagingSupport {

  private Channel channel;
  private String exchange;

  @BeforeEach
  void openChannel() throws Exception {
    channel = newConnection().createChannel();
    exchange = declareExchange("direct");
  }

  private String declareExchange(String type) throws Exception {
    String name = uniqueName("x");
    channel.exchangeDeclare(name, type, false, true, null);
    return name;
  }

  /** A fresh queue bound to {@code exchange} with {@code key}. */
  private String boundQueue(String exchange, String key, Map<String, Object> arguments)
      throws Exception {
    String queue = declareQueue(channel, arguments);
    channel.queueBind(queue, exchange, key);
    return queue;
  }

  private String boundQueue(String key) throws Exception {
    return boundQueue(exchange, key, null);
  }

  private static AMQP.BasicProperties headers(Object... pairs) {
    Map<String, Object> h = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      h.put((String) pairs[i], pairs[i + 1]);
    }
    return new AMQP.BasicProperties.Builder().headers(h).build();
  }

  private void publish(String routingKey, AMQP.BasicProperties props, String body)
      throws Exception {
    channel.basicPublish(exchange, routingKey, props, body.getBytes(UTF_8));
  }

  private GetResponse awaitGet(String queue) {
    GetResponse[] got = new GetResponse[1];
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> (got[0] = channel.basicGet(queue, true)) != null);
    return got[0];
  }

  /** After a round trip through {@code queue}'s owner: nothing (more) is in it. */
  private void assertEmpty(String queue) throws Exception {
    channel.queueDeclarePassive(queue);
    assertNull(channel.basicGet(queue, true), queue + " should have no message");
  }

  private static List<String> strings(Object array) {
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) array) {
      out.add(o.toString());
    }
    return out;
  }

  @Test
  void ccRoutesToEachKeyAndReceiversSeeIt() throws Exception {
    String main = boundQueue("main");
    String first = boundQueue("first");
    String second = boundQueue("second");
    String unrelated = boundQueue("unrelated");
    publish("main", headers("CC", List.of("first", "second")), "copied");

    for (String q : List.of(main, first, second)) {
      GetResponse r = awaitGet(q);
      assertEquals("copied", body(r));
      assertEquals("main", r.getEnvelope().getRoutingKey(), "the routing key is the published one");
      assertEquals(List.of("first", "second"), strings(r.getProps().getHeaders().get("CC")));
    }
    assertEmpty(unrelated);
  }

  @Test
  void bccRoutesToEachKeyAndNoReceiverSeesIt() throws Exception {
    String main = boundQueue("main");
    String copied = boundQueue("copied");
    String blind = boundQueue("blind");
    publish("main", headers("CC", List.of("copied"), "BCC", List.of("blind"), "app", "kept"), "m");

    for (String q : List.of(main, copied, blind)) {
      GetResponse r = awaitGet(q);
      Map<String, Object> h = r.getProps().getHeaders();
      assertFalse(h.containsKey("BCC"), "BCC is removed before delivery");
      assertEquals(List.of("copied"), strings(h.get("CC")));
      assertEquals("kept", h.get("app").toString());
    }
  }

  @Test
  void aQueueReachedByMoreThanOneKeyGetsTheMessageOnce() throws Exception {
    String both = boundQueue("a");
    channel.queueBind(both, exchange, "b");
    publish("a", headers("CC", List.of("b", "a"), "BCC", List.of("b")), "once");
    awaitGet(both);
    assertEmpty(both);
  }

  @Test
  void entriesThatAreNotLongStringsAreIgnored() throws Exception {
    String main = boundQueue("main");
    String named = boundQueue("named");
    String seven = boundQueue("7");
    publish("main", headers("CC", List.of(7, "named", true), "BCC", List.of()), "m");
    awaitGet(main);
    awaitGet(named);
    assertEmpty(seven);
  }

  @Test
  void onlyTheExactHeaderNamesCount() throws Exception {
    boundQueue("main");
    String lower = boundQueue("lower");
    publish("main", headers("cc", List.of("lower"), "Bcc", List.of("lower")), "m");
    channel.queueDeclarePassive(lower); // a round trip after the publish
    assertEmpty(lower);
  }

  @Test
  void ccThatIsNotAnArrayClosesTheChannelWith406() throws Exception {
    String main = boundQueue("main");
    AMQP.Channel.Close close =
        channelError(
            channel,
            () -> {
              publish("main", headers("CC", "single"), "m");
              channel.queueDeclarePassive(main);
            });
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,\"CC\",longstr}",
        BASIC,
        BASIC_PUBLISH);
    try (Connection c = connectionFactory().newConnection()) {
      assertNull(c.createChannel().basicGet(main, true), "nothing was enqueued");
    }
  }

  @Test
  void bccThatIsNotAnArrayClosesTheChannelWith406AndCcIsReportedFirst() throws Exception {
    String main = boundQueue("main");
    AMQP.Channel.Close close =
        channelError(
            channel,
            () -> {
              publish("main", headers("BCC", 5), "m");
              channel.queueDeclarePassive(main);
            });
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,\"BCC\",signedint}",
        BASIC,
        BASIC_PUBLISH);

    Channel again = newConnection().createChannel();
    AMQP.Channel.Close both =
        channelError(
            again,
            () -> {
              again.basicPublish(
                  exchange,
                  "main",
                  new AMQP.BasicProperties.Builder()
                      .headers(Map.of("BCC", 5, "CC", new HashMap<>()))
                      .deliveryMode(3)
                      .build(),
                  new byte[0]);
              again.queueDeclarePassive(main);
            });
    assertChannelClose(
        both,
        406,
        "PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,\"CC\",table}",
        BASIC,
        BASIC_PUBLISH);
  }

  @Test
  void topicExchangesMatchEachKeyAgainstTheirPatterns() throws Exception {
    exchange = declareExchange("topic");
    String orders = boundQueue("orders.*");
    String audit = boundQueue("audit.#");
    String other = boundQueue("other.*");
    publish("orders.created", headers("BCC", List.of("audit.orders.created")), "m");
    awaitGet(orders);
    awaitGet(audit);
    assertEmpty(other);
  }

  @Test
  void theDefaultExchangeDeliversToEachQueueNamedByAKey() throws Exception {
    String main = declareQueue(channel);
    String copy = declareQueue(channel);
    channel.basicPublish(
        "", main, headers("CC", List.of(copy, "no-such-queue")), "m".getBytes(UTF_8));
    awaitGet(main);
    awaitGet(copy);
  }

  @Test
  void aMandatoryMessageRoutedOnlyByCcIsNotReturned() throws Exception {
    String copy = boundQueue("copy");
    AtomicInteger returned = new AtomicInteger();
    channel.addReturnListener(r -> returned.incrementAndGet());
    channel.basicPublish(
        exchange, "nowhere", true, headers("CC", List.of("copy")), "m".getBytes(UTF_8));
    awaitGet(copy);
    channel.queueDeclarePassive(copy); // a basic.return would have come before this reply
    assertEquals(0, returned.get());
  }

  @Test
  void exchangeBindingsAndAlternateExchangesRouteEveryKey() throws Exception {
    String downstream = declareExchange("direct");
    channel.exchangeBind(downstream, exchange, "copy");
    String viaBinding = boundQueue(downstream, "copy", null);
    String alternate = declareExchange("direct");
    String withAlternate = uniqueName("x");
    channel.exchangeDeclare(
        withAlternate, "direct", false, true, Map.of("alternate-exchange", alternate));
    String viaAlternate = boundQueue(alternate, "blind", null);

    publish("nothing", headers("CC", List.of("copy")), "m");
    assertEquals("m", body(awaitGet(viaBinding)));
    channel.basicPublish(
        withAlternate, "nothing", headers("BCC", List.of("blind")), "a".getBytes(UTF_8));
    GetResponse r = awaitGet(viaAlternate);
    assertEquals("a", body(r));
    assertNull(r.getProps().getHeaders().get("BCC"));
  }

  @Test
  void deadLetteringWithANewRoutingKeyDropsCc() throws Exception {
    String dlx = declareExchange("direct");
    String dead = boundQueue(dlx, "dead", null);
    String copyOfDead = boundQueue(dlx, "copy", null);
    String source =
        boundQueue(
            exchange,
            "main",
            arguments("x-dead-letter-exchange", dlx, "x-dead-letter-routing-key", "dead"));
    publish("main", headers("CC", List.of("copy")), "m");
    GetResponse got = awaitGetUnacked(source);
    channel.basicReject(got.getEnvelope().getDeliveryTag(), false);

    GetResponse r = awaitGet(dead);
    Map<String, Object> h = r.getProps().getHeaders();
    assertFalse(h.containsKey("CC"), "CC is removed with a new routing key");
    assertEquals("dead", r.getEnvelope().getRoutingKey());
    @SuppressWarnings("unchecked")
    Map<String, Object> death = ((List<Map<String, Object>>) h.get("x-death")).get(0);
    assertEquals(List.of("main", "copy"), strings(death.get("routing-keys")));
    assertEmpty(copyOfDead);
  }

  @Test
  void deadLetteringWithTheOriginalKeysRoutesCcAndBccKeysAgain() throws Exception {
    String dlx = declareExchange("direct");
    String deadMain = boundQueue(dlx, "main", null);
    String deadCopy = boundQueue(dlx, "copy", null);
    String deadBlind = boundQueue(dlx, "blind", null);
    String source = boundQueue(exchange, "main", arguments("x-dead-letter-exchange", dlx));
    publish("main", headers("CC", List.of("copy"), "BCC", List.of("blind")), "m");
    GetResponse got = awaitGetUnacked(source);
    channel.basicReject(got.getEnvelope().getDeliveryTag(), false);

    for (String q : List.of(deadMain, deadCopy, deadBlind)) {
      GetResponse r = awaitGet(q);
      Map<String, Object> h = r.getProps().getHeaders();
      assertEquals(List.of("copy"), strings(h.get("CC")));
      assertFalse(h.containsKey("BCC"));
      @SuppressWarnings("unchecked")
      Map<String, Object> death = ((List<Map<String, Object>>) h.get("x-death")).get(0);
      assertEquals(List.of("main", "copy"), strings(death.get("routing-keys")));
    }
  }

  @Test
  void aFanoutExchangeDeliversOnceWhateverTheKeys() throws Exception {
    exchange = declareExchange("fanout");
    String all = boundQueue("");
    publish("a", headers("CC", List.of("b", "c")), "once");
    awaitGet(all);
    assertEmpty(all);
    assertTrue(channel.isOpen());
  }

  private GetResponse awaitGetUnacked(String queue) {
    GetResponse[] got = new GetResponse[1];
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> (got[0] = channel.basicGet(queue, false)) != null);
    return got[0];
  }
}
