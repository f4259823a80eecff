package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Return;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where messages go: the default, direct, fanout, topic and headers exchanges, alternate exchanges,
 * mandatory returns and exchange-to-exchange cycles.
 *
 * <p>Every publish waits for its confirm, by which time RabbitMQ has routed the message, so a
 * queue's message count afterwards shows what was routed to it.
 */
class RoutingIT extends BrokerTestSupport {

  private Connection connection;
  private Channel channel;
  private Channel publisher;
  private final List<Return> returns = new CopyOnWriteArrayList<>();
  private final List<String> exchanges = new ArrayList<>();
  private final List<String> queues = new ArrayList<>();
  private String headersExchange;

  @BeforeEach
  void open() throws Exception {
    connection = newConnection();
    channel = connection.createChannel();
    publisher = connection.createChannel();
    publisher.confirmSelect();
    publisher.addReturnListener(returns::add);
  }

  @AfterEach
  void cleanUp() throws Exception {
    try (Channel c = newConnection().createChannel()) {
      for (String exchange : exchanges) {
        c.exchangeDelete(exchange);
      }
      for (String queue : queues) {
        c.queueDelete(queue);
      }
    }
  }

  // --- default exchange ---

  @Test
  void defaultExchangeRoutesByQueueName() throws Exception {
    String queue = queue();
    String other = queue();

    publish("", queue, "hello");

    GetResponse response = channel.basicGet(queue, true);
    assertNotNull(response);
    assertEquals("hello", body(response));
    assertEquals("", response.getEnvelope().getExchange());
    assertEquals(queue, response.getEnvelope().getRoutingKey());
    assertEquals(0, count(other));
  }

  @Test
  void defaultExchangeDropsAMessageForAMissingQueue() throws Exception {
    publish("", uniqueName("missing"), "dropped");

    assertTrue(returns.isEmpty());
    assertTrue(publisher.isOpen());
  }

  // --- direct ---

  @Test
  void directExchangeDeliversToEveryQueueBoundWithTheKey() throws Exception {
    String exchange = exchange("direct");
    String first = queue();
    String second = queue();
    String other = queue();
    channel.queueBind(first, exchange, "k");
    channel.queueBind(second, exchange, "k");
    channel.queueBind(other, exchange, "other");

    publish(exchange, "k", "m");

    assertEquals(1, count(first));
    assertEquals(1, count(second));
    assertEquals(0, count(other));
  }

  @Test
  void directExchangeMatchesTheWholeKeyExactly() throws Exception {
    String exchange = exchange("direct");
    String queue = queue();
    channel.queueBind(queue, exchange, "key");

    publish(exchange, "Key", "m");
    publish(exchange, "key.more", "m");
    publish(exchange, "ke", "m");
    publish(exchange, "", "m");

    assertEquals(0, count(queue));
  }

  @Test
  void queueBoundTwiceWithDifferentKeysGetsOneCopyPerMessage() throws Exception {
    String exchange = exchange("direct");
    String queue = queue();
    channel.queueBind(queue, exchange, "a");
    channel.queueBind(queue, exchange, "b");

    publish(exchange, "a", "first");
    publish(exchange, "b", "second");

    assertEquals(2, count(queue));
  }

  @Test
  void queueBoundToTwoExchangesThatBothRouteGetsOneCopy() throws Exception {
    String source = exchange("fanout");
    String destination = exchange("fanout");
    String queue = queue();
    channel.exchangeBind(destination, source, "");
    channel.queueBind(queue, source, "");
    channel.queueBind(queue, destination, "");

    publish(source, "", "m");

    assertEquals(1, count(queue));
  }

  // --- fanout ---

  @Test
  void fanoutExchangeIgnoresTheRoutingKey() throws Exception {
    String exchange = exchange("fanout");
    String first = queue();
    String second = queue();
    channel.queueBind(first, exchange, "bound-with-this");
    channel.queueBind(second, exchange, "");

    publish(exchange, "published-with-that", "m");

    assertEquals(1, count(first));
    assertEquals(1, count(second));
  }

  // --- topic ---

  @ParameterizedTest(name = "pattern \"{0}\" with key \"{1}\" matches: {2}")
  @CsvSource(
      delimiter = '|',
      emptyValue = "",
      value = {
        "a.b.c     | a.b.c     | true",
        "a.b.c     | a.b       | false",
        "a.b.c     | a.b.c.d   | false",
        "a.b.c     | A.b.c     | false",
        "a.*.c     | a.b.c     | true",
        "a.*.c     | a.c       | false",
        "a.*.c     | a.b.b.c   | false",
        "*         | a         | true",
        "*         | ''        | false",
        "*         | a.b       | false",
        "*.*       | a.b       | true",
        "*.*       | a         | false",
        "#         | ''        | true",
        "#         | a         | true",
        "#         | a.b.c     | true",
        "#.end     | end       | true",
        "#.end     | front.end | true",
        "#.end     | a.b.end   | true",
        "#.end     | end.x     | false",
        "a.#       | a         | true",
        "a.#       | a.b.c     | true",
        "a.#       | b.a       | false",
        "a.#.b     | a.b       | true",
        "a.#.b     | a.x.y.b   | true",
        "a.#.b     | a.x       | false",
        "a.#.b     | a.b.c     | false",
        "*.b.#     | a.b       | true",
        "*.b.#     | a.b.c.d   | true",
        "*.b.#     | b         | false",
        "#.*       | a         | true",
        "#.*       | ''        | false",
        "*.#       | a.b       | true",
        "#.#       | ''        | true",
        "a.*.#     | a         | false",
        "a.*.#     | a.b       | true",
        "a.*.b     | a..b      | true",
        "a..b      | a..b      | true",
        "a..b      | a.x.b     | false",
        "''        | ''        | true",
        "''        | a         | false",
      })
  void topicExchangeMatchesPatterns(String pattern, String key, boolean matches) throws Exception {
    String exchange = exchange("topic");
    String queue = queue();
    channel.queueBind(queue, exchange, pattern);

    publish(exchange, key, "m");

    assertEquals(matches ? 1 : 0, count(queue));
  }

  @Test
  void topicExchangeDeliversOnceWhenSeveralPatternsOfAQueueMatch() throws Exception {
    String exchange = exchange("topic");
    String queue = queue();
    String other = queue();
    channel.queueBind(queue, exchange, "a.b");
    channel.queueBind(queue, exchange, "a.*");
    channel.queueBind(queue, exchange, "#");
    channel.queueBind(other, exchange, "*.b");

    publish(exchange, "a.b", "m");

    assertEquals(1, count(queue));
    assertEquals(1, count(other));
  }

  // --- headers ---

  @Test
  void headersExchangeMatchesAllByDefault() throws Exception {
    String queue = headersQueue(Map.of("a", "1", "b", "2"));

    publishWithHeaders(Map.of("a", "1", "b", "2", "c", "3"));
    publishWithHeaders(Map.of("a", "1"));
    publishWithHeaders(Map.of("a", "1", "b", "other"));
    publishWithHeaders(null);

    assertEquals(1, count(queue));
  }

  @Test
  void headersExchangeWithXMatchAllNeedsEveryHeader() throws Exception {
    String queue = headersQueue(Map.of("x-match", "all", "a", "1", "b", "2"));

    publishWithHeaders(Map.of("a", "1", "b", "2"));
    publishWithHeaders(Map.of("b", "2"));

    assertEquals(1, count(queue));
  }

  @Test
  void headersExchangeWithXMatchAnyNeedsOneHeader() throws Exception {
    String queue = headersQueue(Map.of("x-match", "any", "a", "1", "b", "2"));

    publishWithHeaders(Map.of("a", "1"));
    publishWithHeaders(Map.of("b", "2", "c", "3"));
    publishWithHeaders(Map.of("a", "2", "b", "1"));
    publishWithHeaders(Map.of("c", "3"));
    publishWithHeaders(null);

    assertEquals(2, count(queue));
  }

  @Test
  void headersBindingWithoutArgumentsMatchesEveryMessage() throws Exception {
    String queue = headersQueue(Map.of());

    publishWithHeaders(Map.of("a", "1"));
    publishWithHeaders(null);

    assertEquals(2, count(queue));
  }

  @Test
  void headersExchangeIgnoresTheRoutingKey() throws Exception {
    String exchange = exchange("headers");
    String queue = queue();
    channel.queueBind(queue, exchange, "bound-key", Map.of("a", "1"));

    publish(exchange, "other-key", Map.of("a", "1"));

    assertEquals(1, count(queue));
  }

  @Test
  void headersBindingWithAVoidValueMatchesTheKeyWhateverItsValue() throws Exception {
    Map<String, Object> args = new HashMap<>();
    args.put("a", null);
    String queue = headersQueue(args);

    publishWithHeaders(Map.of("a", "anything"));
    publishWithHeaders(Map.of("a", 7));
    publishWithHeaders(Map.of("b", "anything"));

    assertEquals(2, count(queue));
  }

  @Test
  void headersExchangeMatchesIntegerValues() throws Exception {
    String queue = headersQueue(Map.of("n", 42));

    publishWithHeaders(Map.of("n", 42));
    publishWithHeaders(Map.of("n", 43));

    assertEquals(1, count(queue));
  }

  @Test
  void headersExchangeMatchesIntegersOfOtherWidthsByValue() throws Exception {
    String queue = headersQueue(Map.of("n", 42));

    publishWithHeaders(Map.of("n", 42L));
    publishWithHeaders(Map.of("n", (short) 42));

    assertEquals(2, count(queue));
  }

  @Test
  void headersExchangeDoesNotMatchAStringAgainstAnInteger() throws Exception {
    String queue = headersQueue(Map.of("n", 42));

    publishWithHeaders(Map.of("n", "42"));

    assertEquals(0, count(queue));
  }

  @Test
  void headersExchangeIgnoresXPrefixedBindingArguments() throws Exception {
    String queue = headersQueue(Map.of("x-match", "all", "x-ignored", "yes", "a", "1"));

    publishWithHeaders(Map.of("a", "1"));

    assertEquals(1, count(queue));
  }

  @Test
  void headersExchangeWithXMatchAnyDoesNotMatchOnXPrefixedHeaders() throws Exception {
    String queue = headersQueue(Map.of("x-match", "any", "x-tag", "t", "a", "1"));

    publishWithHeaders(Map.of("x-tag", "t"));

    assertEquals(0, count(queue));
  }

  @Test
  void headersExchangeWithXMatchAnyWithXMatchesOnXPrefixedHeaders() throws Exception {
    String queue = headersQueue(Map.of("x-match", "any-with-x", "x-tag", "t", "a", "1"));

    publishWithHeaders(Map.of("x-tag", "t"));
    publishWithHeaders(Map.of("a", "1"));
    publishWithHeaders(Map.of("x-tag", "other"));

    assertEquals(2, count(queue));
  }

  @Test
  void headersExchangeWithXMatchAllWithXNeedsXPrefixedHeadersToo() throws Exception {
    String queue = headersQueue(Map.of("x-match", "all-with-x", "x-tag", "t", "a", "1"));

    publishWithHeaders(Map.of("x-tag", "t", "a", "1"));
    publishWithHeaders(Map.of("a", "1"));

    assertEquals(1, count(queue));
  }

  // --- alternate exchange ---

  @Test
  void unroutableMessageGoesToTheAlternateExchange() throws Exception {
    String alternate = exchange("fanout");
    String unrouted = queue();
    channel.queueBind(unrouted, alternate, "");
    String exchange = exchange("direct", Map.of("alternate-exchange", alternate));
    String routed = queue();
    channel.queueBind(routed, exchange, "k");

    publish(exchange, "k", "routed");
    publish(exchange, "nowhere", "unrouted");

    assertEquals(1, count(routed));
    GetResponse response = channel.basicGet(unrouted, true);
    assertNotNull(response);
    assertEquals("unrouted", body(response));
    assertEquals(exchange, response.getEnvelope().getExchange());
    assertEquals("nowhere", response.getEnvelope().getRoutingKey());
    assertEquals(0, count(unrouted));
  }

  @Test
  void mandatoryMessageRoutedByTheAlternateExchangeIsNotReturned() throws Exception {
    String alternate = exchange("fanout");
    channel.queueBind(queue(), alternate, "");
    String exchange = exchange("direct", Map.of("alternate-exchange", alternate));

    publishMandatory(exchange, "nowhere");

    assertTrue(returns.isEmpty());
  }

  @Test
  void mandatoryMessageIsReturnedWhenTheAlternateExchangeDoesNotExist() throws Exception {
    String exchange = exchange("direct", Map.of("alternate-exchange", uniqueName("missing")));

    publishMandatory(exchange, "nowhere");

    assertEquals(1, returns.size());
    assertEquals(312, returns.get(0).getReplyCode());
  }

  // --- mandatory ---

  @Test
  void mandatoryUnroutableMessageIsReturnedWithNoRoute() throws Exception {
    String exchange = exchange("direct");

    publishMandatory(exchange, "nowhere");

    // The return comes before the confirm, so it has arrived by now.
    assertEquals(1, returns.size());
    Return returned = returns.get(0);
    assertEquals(312, returned.getReplyCode());
    assertEquals("NO_ROUTE", returned.getReplyText());
    assertEquals(exchange, returned.getExchange());
    assertEquals("nowhere", returned.getRoutingKey());
    assertEquals("mandatory", new String(returned.getBody(), StandardCharsets.UTF_8));
    assertTrue(publisher.isOpen());
  }

  @Test
  void mandatoryMessageToAMissingQueueOnTheDefaultExchangeIsReturned() throws Exception {
    String missing = uniqueName("missing");

    publishMandatory("", missing);

    assertEquals(1, returns.size());
    assertEquals(312, returns.get(0).getReplyCode());
    assertEquals("NO_ROUTE", returns.get(0).getReplyText());
    assertEquals("", returns.get(0).getExchange());
    assertEquals(missing, returns.get(0).getRoutingKey());
  }

  @Test
  void mandatoryRoutedMessageIsNotReturned() throws Exception {
    String exchange = exchange("direct");
    String queue = queue();
    channel.queueBind(queue, exchange, "k");

    publishMandatory(exchange, "k");

    assertTrue(returns.isEmpty());
    assertEquals(1, count(queue));
  }

  @Test
  void nonMandatoryUnroutableMessageIsDroppedSilently() throws Exception {
    String exchange = exchange("direct");

    publish(exchange, "nowhere", "dropped");

    assertTrue(returns.isEmpty());
  }

  // --- exchange-to-exchange ---

  @Test
  void exchangeBindingChainDeliversThroughEveryHop() throws Exception {
    String first = exchange("direct");
    String second = exchange("topic");
    String third = exchange("fanout");
    String queue = queue();
    channel.exchangeBind(second, first, "a.b");
    channel.exchangeBind(third, second, "a.*");
    channel.queueBind(queue, third, "");

    publish(first, "a.b", "m");
    publish(first, "a.c", "m");

    assertEquals(1, count(queue));
  }

  @Test
  void exchangeBindingCycleDeliversOnceAndDoesNotLoop() throws Exception {
    String a = exchange("fanout");
    String b = exchange("fanout");
    channel.exchangeBind(b, a, "");
    channel.exchangeBind(a, b, "");
    String onA = queue();
    String onB = queue();
    channel.queueBind(onA, a, "");
    channel.queueBind(onB, b, "");

    publish(a, "k", "m");
    publish(b, "k", "m");

    assertEquals(2, count(onA));
    assertEquals(2, count(onB));
  }

  private String exchange(String type) throws Exception {
    return exchange(type, null);
  }

  private String exchange(String type, Map<String, Object> args) throws Exception {
    String name = uniqueName("x");
    exchanges.add(name);
    channel.exchangeDeclare(name, type, false, false, args);
    return name;
  }

  private String queue() throws Exception {
    String name = uniqueName("q");
    queues.add(name);
    channel.queueDeclare(name, false, false, false, null);
    return name;
  }

  /** A queue bound with {@code args} to this test's headers exchange, declared on first use. */
  private String headersQueue(Map<String, Object> args) throws Exception {
    if (headersExchange == null) {
      headersExchange = exchange("headers");
    }
    String queue = queue();
    channel.queueBind(queue, headersExchange, "", args);
    return queue;
  }

  private void publishWithHeaders(Map<String, Object> headers) throws Exception {
    publish(headersExchange, "", headers);
  }

  private void publish(String exchange, String routingKey, Map<String, Object> headers)
      throws Exception {
    AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().headers(headers).build();
    publisher.basicPublish(exchange, routingKey, properties, new byte[0]);
    publisher.waitForConfirmsOrDie(10_000);
  }

  private void publish(String exchange, String routingKey, String body) throws Exception {
    publisher.basicPublish(exchange, routingKey, null, body.getBytes(StandardCharsets.UTF_8));
    publisher.waitForConfirmsOrDie(10_000);
  }

  private void publishMandatory(String exchange, String routingKey) throws Exception {
    publisher.basicPublish(
        exchange, routingKey, true, null, "mandatory".getBytes(StandardCharsets.UTF_8));
    publisher.waitForConfirmsOrDie(10_000);
  }

  private int count(String queue) throws Exception {
    return channel.queueDeclarePassive(queue).getMessageCount();
  }

  private static String body(GetResponse response) {
    return new String(response.getBody(), StandardCharsets.UTF_8);
  }
}
