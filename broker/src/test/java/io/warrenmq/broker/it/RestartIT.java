package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What survives a graceful restart on the same data directory, as in RabbitMQ: durable exchanges,
 * queues and the bindings between durable ends, and persistent messages on durable queues — in
 * order, with their properties, flagged redelivered when they had been delivered. Transient
 * messages, non-durable and exclusive queues, and non-durable exchanges do not come back.
 *
 * <p>RabbitMQ cannot be restarted from here, so these tests run against the in-process broker only,
 * stopping it with {@link #restart()} and starting a new one on the same directory (on a new port:
 * every connection is opened anew afterwards).
 */
class RestartIT extends MessagingSupport {

  private static final AMQP.BasicProperties PERSISTENT =
      new AMQP.BasicProperties.Builder().deliveryMode(2).build();
  private static final AMQP.BasicProperties TRANSIENT =
      new AMQP.BasicProperties.Builder().deliveryMode(1).build();

  @BeforeEach
  void onlyInProcess() {
    assumeInProcess();
  }

  /** Stops the broker gracefully and starts a new one on the same data directory. */
  private static void restart() throws Exception {
    restartWith(config());
  }

  private Channel channel() throws Exception {
    return newConnection().createChannel();
  }

  private static String durableQueue(Channel channel, String prefix) throws IOException {
    String queue = uniqueName(prefix);
    channel.queueDeclare(queue, true, false, false, null);
    return queue;
  }

  /** Whether queue.declare with passive set finds {@code queue}; 404 means it does not exist. */
  private boolean queueExists(String queue) throws Exception {
    try (Connection connection = connectionFactory().newConnection()) {
      connection.createChannel().queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      return notFound(e);
    }
  }

  private boolean exchangeExists(String exchange) throws Exception {
    try (Connection connection = connectionFactory().newConnection()) {
      connection.createChannel().exchangeDeclarePassive(exchange);
      return true;
    } catch (IOException e) {
      return notFound(e);
    }
  }

  private static boolean notFound(IOException e) throws IOException {
    if (e.getCause() instanceof ShutdownSignalException s
        && s.getReason() instanceof AMQP.Channel.Close close
        && close.getReplyCode() == 404) {
      return false;
    }
    throw e;
  }

  /** The body of the next message basic.get takes (with auto-ack), or null when there is none. */
  private static String getBody(Channel channel, String queue) throws IOException {
    GetResponse response = channel.basicGet(queue, true);
    return response == null ? null : body(response);
  }

  /** Takes every ready message of {@code queue} with basic.get and auto-ack, in order. */
  private static List<String> drain(Channel channel, String queue) throws IOException {
    List<String> bodies = new ArrayList<>();
    for (GetResponse r = channel.basicGet(queue, true);
        r != null;
        r = channel.basicGet(queue, true)) {
      bodies.add(body(r));
    }
    return bodies;
  }

  // ------------------------------------------------------------------ definitions

  @Test
  void durableExchangesOfEveryTypeComeBackWithTheirAlternateExchangeAndRoute() throws Exception {
    Channel setup = channel();
    String alternate = uniqueName("ae");
    setup.exchangeDeclare(alternate, BuiltinExchangeType.FANOUT, true);
    String unrouted = durableQueue(setup, "unrouted");
    setup.queueBind(unrouted, alternate, "");
    Map<String, Object> withAlternate = Map.of("alternate-exchange", alternate);
    Map<BuiltinExchangeType, String> exchanges = new LinkedHashMap<>();
    Map<BuiltinExchangeType, String> queues = new LinkedHashMap<>();
    for (BuiltinExchangeType type : BuiltinExchangeType.values()) {
      String exchange = uniqueName("x-" + type.getType());
      setup.exchangeDeclare(exchange, type, true, false, withAlternate);
      String queue = durableQueue(setup, "q-" + type.getType());
      exchanges.put(type, exchange);
      queues.put(type, queue);
    }
    setup.queueBind(
        queues.get(BuiltinExchangeType.DIRECT), exchanges.get(BuiltinExchangeType.DIRECT), "k");
    setup.queueBind(
        queues.get(BuiltinExchangeType.FANOUT), exchanges.get(BuiltinExchangeType.FANOUT), "");
    setup.queueBind(
        queues.get(BuiltinExchangeType.TOPIC), exchanges.get(BuiltinExchangeType.TOPIC), "a.*.c");
    setup.queueBind(
        queues.get(BuiltinExchangeType.HEADERS),
        exchanges.get(BuiltinExchangeType.HEADERS),
        "",
        Map.of("x-match", "all", "colour", "red"));

    restart();

    Channel channel = channel();
    for (BuiltinExchangeType type : BuiltinExchangeType.values()) {
      // the same declaration is equivalent: type, durability and alternate-exchange came back
      channel.exchangeDeclare(exchanges.get(type), type, true, false, withAlternate);
    }
    channel.basicPublish(
        exchanges.get(BuiltinExchangeType.DIRECT), "k", null, "direct".getBytes(UTF_8));
    channel.basicPublish(
        exchanges.get(BuiltinExchangeType.FANOUT), "any", null, "fanout".getBytes(UTF_8));
    channel.basicPublish(
        exchanges.get(BuiltinExchangeType.TOPIC), "a.b.c", null, "topic".getBytes(UTF_8));
    channel.basicPublish(
        exchanges.get(BuiltinExchangeType.HEADERS),
        "",
        new AMQP.BasicProperties.Builder().headers(Map.of("colour", "red")).build(),
        "headers".getBytes(UTF_8));
    // unroutable through each exchange but fanout (which routes everything): to the alternate
    channel.basicPublish(
        exchanges.get(BuiltinExchangeType.DIRECT), "other", null, "ae-direct".getBytes(UTF_8));
    channel.basicPublish(
        exchanges.get(BuiltinExchangeType.TOPIC), "a.b", null, "ae-topic".getBytes(UTF_8));
    channel.basicPublish(
        exchanges.get(BuiltinExchangeType.HEADERS),
        "",
        new AMQP.BasicProperties.Builder().headers(Map.of("colour", "blue")).build(),
        "ae-headers".getBytes(UTF_8));
    channel.queueDeclarePassive(unrouted); // a round trip: the publishes before it are routed

    assertEquals(List.of("direct"), drain(channel, queues.get(BuiltinExchangeType.DIRECT)));
    assertEquals(List.of("fanout"), drain(channel, queues.get(BuiltinExchangeType.FANOUT)));
    assertEquals(List.of("topic"), drain(channel, queues.get(BuiltinExchangeType.TOPIC)));
    assertEquals(List.of("headers"), drain(channel, queues.get(BuiltinExchangeType.HEADERS)));
    assertEquals(List.of("ae-direct", "ae-topic", "ae-headers"), drain(channel, unrouted));
  }

  @Test
  void redeclaringARecoveredExchangeWithAnotherAlternateExchangeFailsWith406() throws Exception {
    Channel setup = channel();
    String exchange = uniqueName("x");
    setup.exchangeDeclare(
        exchange, BuiltinExchangeType.TOPIC, true, false, Map.of("alternate-exchange", "ae1"));

    restart();

    Channel channel = channel();
    AMQP.Channel.Close close =
        channelError(
            channel,
            () ->
                channel.exchangeDeclare(
                    exchange,
                    BuiltinExchangeType.TOPIC,
                    true,
                    false,
                    Map.of("alternate-exchange", "ae2")));
    assertEquals(406, close.getReplyCode());
    assertTrue(
        close.getReplyText().contains("inequivalent arg 'alternate-exchange'"),
        close.getReplyText());
  }

  @Test
  void exchangeToExchangeHeadersAndBuiltInExchangeBindingsComeBackAndRoute() throws Exception {
    Channel setup = channel();
    String source = uniqueName("src");
    String headers = uniqueName("hdr");
    setup.exchangeDeclare(source, BuiltinExchangeType.TOPIC, true);
    setup.exchangeDeclare(headers, BuiltinExchangeType.HEADERS, true);
    setup.exchangeBind(headers, source, "orders.#");
    String any = durableQueue(setup, "any");
    String all = durableQueue(setup, "all");
    String fromAmqTopic = durableQueue(setup, "amq-topic");
    String unbound = durableQueue(setup, "unbound");
    setup.queueBind(any, headers, "", Map.of("x-match", "any", "a", 1, "b", 2));
    setup.queueBind(all, headers, "", Map.of("x-match", "all", "a", 1, "b", 2));
    setup.queueBind(fromAmqTopic, "amq.topic", "audit.*");
    setup.queueBind(unbound, source, "orders.#");
    setup.queueUnbind(unbound, source, "orders.#");

    restart();

    Channel channel = channel();
    channel.basicPublish(
        source,
        "orders.eu",
        new AMQP.BasicProperties.Builder().headers(Map.of("a", 1)).build(),
        "a".getBytes(UTF_8));
    channel.basicPublish(
        source,
        "orders.us",
        new AMQP.BasicProperties.Builder().headers(Map.of("a", 1, "b", 2)).build(),
        "ab".getBytes(UTF_8));
    channel.basicPublish(
        source,
        "invoices.eu",
        new AMQP.BasicProperties.Builder().headers(Map.of("a", 1, "b", 2)).build(),
        "not-an-order".getBytes(UTF_8));
    channel.basicPublish("amq.topic", "audit.login", null, "audit".getBytes(UTF_8));
    channel.queueDeclarePassive(any);

    assertEquals(List.of("a", "ab"), drain(channel, any));
    assertEquals(List.of("ab"), drain(channel, all));
    assertEquals(List.of("audit"), drain(channel, fromAmqTopic));
    assertEquals(List.of(), drain(channel, unbound), "an unbind must survive the restart too");
  }

  @Test
  void durableQueuesComeBackDurableWithTheirArguments() throws Exception {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("x-message-ttl", 3_600_000);
    args.put("x-max-length", 100_000L);
    args.put("x-queue-type", "classic");
    args.put("x-custom", "kept");
    Channel setup = channel();
    String queue = uniqueName("args");
    setup.queueDeclare(queue, true, false, false, args);
    String autoDelete = uniqueName("auto-delete");
    setup.queueDeclare(autoDelete, true, false, true, null);

    restart();

    Channel channel = channel();
    AMQP.Queue.DeclareOk ok = channel.queueDeclare(queue, true, false, false, args);
    assertEquals(queue, ok.getQueue());
    assertEquals(0, ok.getMessageCount());
    assertTrue(queueExists(autoDelete), "a durable auto-delete queue that never had a consumer");

    Map<String, Object> otherTtl = new LinkedHashMap<>(args);
    otherTtl.put("x-message-ttl", 1000);
    Channel second = channel();
    AMQP.Channel.Close close =
        channelError(second, () -> second.queueDeclare(queue, true, false, false, otherTtl));
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '"
            + queue
            + "' in vhost '/': received '1000' but current is '3600000'",
        QUEUE,
        QUEUE_DECLARE);

    Channel third = channel();
    AMQP.Channel.Close durability =
        channelError(third, () -> third.queueDeclare(queue, false, false, false, args));
    assertEquals(406, durability.getReplyCode());
    assertTrue(
        durability.getReplyText().contains("inequivalent arg 'durable'"),
        durability.getReplyText());
  }

  @Test
  void nonDurableQueuesAndExchangesAndTheirBindingsAreGone() throws Exception {
    Channel setup = channel();
    String transientQueue = uniqueName("transient-q");
    setup.queueDeclare(transientQueue, false, false, false, null);
    setup.basicPublish("", transientQueue, PERSISTENT, "gone".getBytes(UTF_8));
    String transientExchange = uniqueName("transient-x");
    setup.exchangeDeclare(transientExchange, BuiltinExchangeType.FANOUT, false);
    String durableExchange = uniqueName("durable-x");
    setup.exchangeDeclare(durableExchange, BuiltinExchangeType.FANOUT, true);
    String durable = durableQueue(setup, "durable");
    setup.queueBind(durable, transientExchange, "");
    setup.queueBind(transientQueue, durableExchange, "");
    setup.queueDeclarePassive(transientQueue);

    restart();

    assertFalse(queueExists(transientQueue), "a non-durable queue must not come back");
    assertFalse(exchangeExists(transientExchange), "a non-durable exchange must not come back");
    assertTrue(exchangeExists(durableExchange));
    Channel channel = channel();
    // Same names again: no binding from before the restart may come back with them.
    channel.exchangeDeclare(transientExchange, BuiltinExchangeType.FANOUT, false);
    channel.queueDeclare(transientQueue, false, false, false, null);
    channel.basicPublish(transientExchange, "", null, "via-transient-x".getBytes(UTF_8));
    channel.basicPublish(durableExchange, "", null, "via-durable-x".getBytes(UTF_8));
    channel.queueDeclarePassive(durable);
    assertEquals(List.of(), drain(channel, durable));
    assertEquals(List.of(), drain(channel, transientQueue));
    channel.queueDelete(transientQueue);
    channel.exchangeDelete(transientExchange);
  }

  @Test
  void exclusiveQueuesAreGoneEvenWhenDeclaredDurable() throws Exception {
    Channel setup = channel();
    String exclusive = uniqueName("exclusive");
    setup.queueDeclare(exclusive, true, true, false, null);
    setup.queueBind(exclusive, "amq.direct", exclusive);
    setup.basicPublish("", exclusive, PERSISTENT, "gone".getBytes(UTF_8));
    assertEquals(1, setup.queueDeclarePassive(exclusive).getMessageCount());

    restart();

    assertFalse(queueExists(exclusive), "an exclusive queue ends with its connection");
    Channel channel = channel();
    channel.queueDeclare(exclusive, true, false, false, null);
    channel.basicPublish("amq.direct", exclusive, PERSISTENT, "routed".getBytes(UTF_8));
    channel.queueDeclarePassive(exclusive);
    assertEquals(List.of(), drain(channel, exclusive), "its binding must not come back either");
    channel.queueDelete(exclusive);
  }

  @Test
  void aDeletedDurableQueueOrExchangeStaysDeleted() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "deleted");
    String exchange = uniqueName("deleted-x");
    setup.exchangeDeclare(exchange, BuiltinExchangeType.DIRECT, true);
    setup.queueBind(queue, exchange, "k");
    for (int i = 0; i < 5; i++) {
      setup.basicPublish("", queue, PERSISTENT, ("m" + i).getBytes(UTF_8));
    }
    assertEquals(5, setup.queueDelete(queue).getMessageCount());
    setup.exchangeDelete(exchange);

    restart();

    assertFalse(queueExists(queue), "a deleted queue must stay deleted");
    assertFalse(exchangeExists(exchange), "a deleted exchange must stay deleted");
    Channel channel = channel();
    assertEquals(
        0,
        channel.queueDeclare(queue, true, false, false, null).getMessageCount(),
        "a queue of the same name starts empty");

    restart();

    assertEquals(0, channel().queueDeclarePassive(queue).getMessageCount());
    channel().queueDelete(queue);
  }

  // ------------------------------------------------------------------ messages

  /** Properties of every kind, with header values of every field type AMQP 0-9-1 has. */
  private static AMQP.BasicProperties fullProperties(int i) {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("inner", "value-" + i);
    nested.put("n", 7);
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("string", "s-" + i);
    headers.put("int", i);
    headers.put("long", 1L << 40);
    headers.put("short", (short) 12);
    headers.put("byte", (byte) -3);
    headers.put("bool", true);
    headers.put("double", 2.5);
    headers.put("float", 1.25f);
    headers.put("decimal", new BigDecimal("12.345"));
    headers.put("timestamp", new Date(1_700_000_000_000L));
    headers.put("bytes", new byte[] {1, 2, 3, (byte) i});
    headers.put("table", nested);
    headers.put("array", List.of("x", 1, false));
    headers.put("void", null);
    return new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .contentEncoding("gzip")
        .headers(headers)
        .deliveryMode(2)
        .priority(i % 10)
        .correlationId("corr-" + i)
        .replyTo("reply-" + i)
        .expiration("86400000")
        .messageId("id-" + i)
        .timestamp(new Date(1_600_000_000_000L + i * 1000L))
        .type("type-" + i)
        .userId("guest")
        .appId("restart-it")
        .clusterId("cluster-" + i)
        .build();
  }

  private static byte[] fullBody(int i) {
    byte[] body = new byte[100 + i * 37];
    for (int j = 0; j < body.length; j++) {
      body[j] = (byte) (i * 31 + j);
    }
    return body;
  }

  @Test
  void persistentMessagesComeBackInOrderWithBodiesAndEveryProperty() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "persistent");
    setup.confirmSelect();
    for (int i = 0; i < 50; i++) {
      setup.basicPublish("", queue, fullProperties(i), fullBody(i));
      // interleaved transient ones must be gone, and must not disturb the order of the others
      setup.basicPublish("", queue, TRANSIENT, ("transient-" + i).getBytes(UTF_8));
    }
    setup.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    assertEquals(100, setup.queueDeclarePassive(queue).getMessageCount());

    restart();

    Channel channel = channel();
    assertEquals(50, channel.queueDeclare(queue, true, false, false, null).getMessageCount());
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    for (int i = 0; i < 50; i++) {
      Delivery d = next(deliveries);
      int index = i;
      assertArrayEquals(fullBody(i), d.getBody(), () -> "body of message " + index);
      assertSameProperties(fullProperties(i), d.getProperties(), "message " + i);
      assertFalse(d.getEnvelope().isRedeliver(), "never delivered before the restart");
      channel.basicAck(d.getEnvelope().getDeliveryTag(), false);
    }
    assertNull(deliveries.poll(200, TimeUnit.MILLISECONDS), "nothing else");
    channel.queueDelete(queue);
  }

  private static void assertSameProperties(
      AMQP.BasicProperties expected, AMQP.BasicProperties actual, String what) {
    assertEquals(expected.getContentType(), actual.getContentType(), what + " content-type");
    assertEquals(expected.getContentEncoding(), actual.getContentEncoding(), what + " encoding");
    assertEquals(
        normalize(expected.getHeaders()), normalize(actual.getHeaders()), what + " headers");
    assertEquals(expected.getDeliveryMode(), actual.getDeliveryMode(), what + " delivery-mode");
    assertEquals(expected.getPriority(), actual.getPriority(), what + " priority");
    assertEquals(expected.getCorrelationId(), actual.getCorrelationId(), what + " correlation-id");
    assertEquals(expected.getReplyTo(), actual.getReplyTo(), what + " reply-to");
    assertEquals(expected.getExpiration(), actual.getExpiration(), what + " expiration");
    assertEquals(expected.getMessageId(), actual.getMessageId(), what + " message-id");
    assertEquals(expected.getTimestamp(), actual.getTimestamp(), what + " timestamp");
    assertEquals(expected.getType(), actual.getType(), what + " type");
    assertEquals(expected.getUserId(), actual.getUserId(), what + " user-id");
    assertEquals(expected.getAppId(), actual.getAppId(), what + " app-id");
    assertEquals(expected.getClusterId(), actual.getClusterId(), what + " cluster-id");
  }

  /** Field values as comparable Java values: long strings as strings, byte arrays as buffers. */
  private static Object normalize(Object value) {
    if (value instanceof LongString s) {
      return s.toString();
    } else if (value instanceof byte[] b) {
      return ByteBuffer.wrap(b);
    } else if (value instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(k, normalize(v)));
      return out;
    } else if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(v -> out.add(normalize(v)));
      return out;
    }
    return value;
  }

  @Test
  void transientMessagesOnDurableQueuesAreGone() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "transient-msgs");
    for (int i = 0; i < 20; i++) {
      setup.basicPublish("", queue, i % 2 == 0 ? null : TRANSIENT, ("t" + i).getBytes(UTF_8));
    }
    assertEquals(20, setup.queueDeclarePassive(queue).getMessageCount());

    restart();

    assertEquals(0, channel().queueDeclarePassive(queue).getMessageCount());
    channel().queueDelete(queue);
  }

  @Test
  void deliveredButUnackedMessagesComeBackRedeliveredAndAckedOnesDoNot() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "redelivered");
    for (int i = 0; i < 10; i++) {
      setup.basicPublish("", queue, PERSISTENT, ("m" + i).getBytes(UTF_8));
    }
    Channel consumer = channel();
    consumer.basicQos(4);
    BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    String tag = consumer.basicConsume(queue, false, (t, d) -> deliveries.add(d), t -> {});
    List<Delivery> first = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      first.add(next(deliveries));
    }
    // cancelled before any ack frees credit: m4 to m9 are never delivered
    consumer.basicCancel(tag);
    assertEquals(
        List.of("m0", "m1", "m2", "m3"), first.stream().map(MessagingSupport::body).toList());
    assertEquals(List.of(), List.copyOf(deliveries));
    consumer.basicAck(first.get(0).getEnvelope().getDeliveryTag(), false);
    consumer.basicAck(first.get(2).getEnvelope().getDeliveryTag(), false);
    consumer.basicQos(4); // a round trip on the same channel: the acks before it are done

    restart();

    Channel channel = channel();
    assertEquals(8, channel.queueDeclarePassive(queue).getMessageCount());
    List<String> redelivered = new ArrayList<>();
    List<String> fresh = new ArrayList<>();
    for (GetResponse r = channel.basicGet(queue, true);
        r != null;
        r = channel.basicGet(queue, true)) {
      (r.getEnvelope().isRedeliver() ? redelivered : fresh).add(body(r));
    }
    assertEquals(List.of("m1", "m3"), redelivered, "delivered, unacked before the restart");
    assertEquals(List.of("m4", "m5", "m6", "m7", "m8", "m9"), fresh, "never delivered");
    channel.queueDelete(queue);
  }

  @Test
  void messagesRejectedWithRequeueBeforeTheRestartComeBackRedelivered() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "requeued");
    for (int i = 0; i < 3; i++) {
      setup.basicPublish("", queue, PERSISTENT, ("m" + i).getBytes(UTF_8));
    }
    GetResponse m0 = setup.basicGet(queue, false);
    assertNotNull(m0);
    setup.basicReject(m0.getEnvelope().getDeliveryTag(), true);
    assertEquals(3, setup.queueDeclarePassive(queue).getMessageCount());

    restart();

    Channel channel = channel();
    GetResponse again = channel.basicGet(queue, true);
    assertEquals("m0", body(again));
    assertTrue(again.getEnvelope().isRedeliver(), "it was delivered once");
    GetResponse m1 = channel.basicGet(queue, true);
    assertEquals("m1", body(m1));
    assertFalse(m1.getEnvelope().isRedeliver());
    channel.queueDelete(queue);
  }

  @Test
  void messagesDeliveredBeforeARestartStayRedeliveredAcrossASecondRestart() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "twice");
    for (int i = 0; i < 3; i++) {
      setup.basicPublish("", queue, PERSISTENT, ("m" + i).getBytes(UTF_8));
    }
    for (int i = 0; i < 3; i++) {
      assertNotNull(setup.basicGet(queue, false)); // delivered, never acked
    }

    restart();

    // deliver only the first one again, and leave it unacked too
    Channel between = channel();
    GetResponse m0 = between.basicGet(queue, false);
    assertEquals("m0", body(m0));
    assertTrue(m0.getEnvelope().isRedeliver());

    restart();

    Channel channel = channel();
    List<Boolean> flags = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    for (GetResponse r = channel.basicGet(queue, true);
        r != null;
        r = channel.basicGet(queue, true)) {
      bodies.add(body(r));
      flags.add(r.getEnvelope().isRedeliver());
    }
    assertEquals(List.of("m0", "m1", "m2"), bodies);
    assertEquals(List.of(true, true, true), flags, "all three were delivered before");
    channel.queueDelete(queue);
  }

  @Test
  void messagesPublishedAfterADrainedQueueWasRestartedAreNotFlaggedRedelivered() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "drained");
    for (int i = 0; i < 3; i++) {
      setup.basicPublish("", queue, PERSISTENT, ("old" + i).getBytes(UTF_8));
    }
    for (int i = 0; i < 3; i++) {
      GetResponse r = setup.basicGet(queue, false);
      setup.basicAck(r.getEnvelope().getDeliveryTag(), false);
    }
    assertEquals(0, setup.queueDeclarePassive(queue).getMessageCount());

    restart();

    Channel between = channel();
    for (int i = 0; i < 3; i++) {
      between.basicPublish("", queue, PERSISTENT, ("new" + i).getBytes(UTF_8));
    }
    assertEquals(3, between.queueDeclarePassive(queue).getMessageCount());

    restart();

    Channel channel = channel();
    List<String> redelivered = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    for (GetResponse r = channel.basicGet(queue, true);
        r != null;
        r = channel.basicGet(queue, true)) {
      bodies.add(body(r));
      if (r.getEnvelope().isRedeliver()) {
        redelivered.add(body(r));
      }
    }
    assertEquals(List.of("new0", "new1", "new2"), bodies);
    assertEquals(List.of(), redelivered, "none of these was ever delivered");
    channel.queueDelete(queue);
  }

  @Test
  void aMessageFannedOutToThreeDurableQueuesStaysWhereItWasNotAcked() throws Exception {
    Channel setup = channel();
    String exchange = uniqueName("fan");
    setup.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true);
    List<String> queues = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String q = durableQueue(setup, "fan" + i);
      setup.queueBind(q, exchange, "");
      queues.add(q);
    }
    setup.basicPublish(exchange, "", fullProperties(1), fullBody(1));
    setup.queueDeclarePassive(queues.get(0));

    restart();

    Channel channel = channel();
    for (String q : queues) {
      assertEquals(1, channel.queueDeclarePassive(q).getMessageCount(), q);
    }
    for (String q : queues.subList(0, 2)) {
      GetResponse r = channel.basicGet(q, false);
      assertArrayEquals(fullBody(1), r.getBody());
      assertFalse(r.getEnvelope().isRedeliver());
      channel.basicAck(r.getEnvelope().getDeliveryTag(), false);
    }
    channel.queueDeclarePassive(queues.get(2)); // the acks are done

    restart();

    Channel after = channel();
    assertEquals(0, after.queueDeclarePassive(queues.get(0)).getMessageCount());
    assertEquals(0, after.queueDeclarePassive(queues.get(1)).getMessageCount());
    GetResponse last = after.basicGet(queues.get(2), false);
    assertNotNull(last, "acking in two queues must leave the message in the third");
    assertArrayEquals(fullBody(1), last.getBody());
    assertSameProperties(fullProperties(1), last.getProps(), "the third copy");
    after.basicAck(last.getEnvelope().getDeliveryTag(), false);
    after.queueDeclarePassive(queues.get(2));

    restart();

    Channel end = channel();
    for (String q : queues) {
      assertEquals(0, end.queueDeclarePassive(q).getMessageCount(), q);
      end.queueDelete(q);
    }
    end.exchangeDelete(exchange);
  }

  @Test
  void deletingOneQueueOfAFanOutLeavesTheMessageInTheOthers() throws Exception {
    Channel setup = channel();
    String exchange = uniqueName("fan-delete");
    setup.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true);
    String deleted = durableQueue(setup, "fan-deleted");
    String kept = durableQueue(setup, "fan-kept");
    setup.queueBind(deleted, exchange, "");
    setup.queueBind(kept, exchange, "");
    setup.confirmSelect();
    setup.basicPublish(exchange, "", PERSISTENT, "shared".getBytes(UTF_8));
    setup.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    setup.queueDelete(deleted);

    restart();

    Channel channel = channel();
    assertFalse(queueExists(deleted));
    assertEquals(List.of("shared"), drain(channel, kept));
    channel.queueDelete(kept);
    channel.exchangeDelete(exchange);
  }

  @Test
  void aPurgeSurvivesARestartEvenOfAPagedOutQueue() throws Exception {
    Channel setup = channel();
    String small = durableQueue(setup, "purged");
    String paged = durableQueue(setup, "purged-paged");
    setup.confirmSelect();
    for (int i = 0; i < 5; i++) {
      setup.basicPublish("", small, PERSISTENT, ("m" + i).getBytes(UTF_8));
    }
    // more than the 8192 messages a queue keeps on the heap: the tail is in the store
    for (int i = 0; i < 9000; i++) {
      setup.basicPublish("", paged, PERSISTENT, ("p" + i).getBytes(UTF_8));
    }
    setup.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(30));
    assertEquals(5, setup.queuePurge(small).getMessageCount());
    assertEquals(9000, setup.queuePurge(paged).getMessageCount());
    setup.basicPublish("", small, PERSISTENT, "after-purge".getBytes(UTF_8));
    setup.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));

    restart();

    Channel channel = channel();
    assertEquals(List.of("after-purge"), drain(channel, small));
    assertEquals(0, channel.queueDeclarePassive(paged).getMessageCount());
    channel.queueDelete(small);
    channel.queueDelete(paged);
  }

  @Test
  void aBacklogLargerThanTheInMemoryPageComesBackCompleteAndInOrder() throws Exception {
    // 20 000 KiB messages: well past both bounds of the heap page (8192 messages, 8 MiB), so the
    // recovered queue is paged in batch after batch; more only slows the test under paranoid leak
    // detection
    int count = 20_000;
    Channel setup = channel();
    String queue = durableQueue(setup, "backlog");
    setup.confirmSelect();
    for (int i = 0; i < count; i++) {
      setup.basicPublish(
          "",
          queue,
          new AMQP.BasicProperties.Builder().deliveryMode(2).messageId("m" + i).build(),
          backlogBody(i));
    }
    setup.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(60));
    assertEquals(count, setup.queueDeclarePassive(queue).getMessageCount());

    restart();

    Channel channel = channel();
    assertEquals(count, channel.queueDeclarePassive(queue).getMessageCount());
    channel.basicQos(1000);
    BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    channel.basicConsume(queue, false, (tag, d) -> deliveries.add(d), tag -> {});
    for (int i = 0; i < count; i++) {
      Delivery d = next(deliveries);
      int index = i;
      assertEquals("m" + i, d.getProperties().getMessageId(), "order");
      assertArrayEquals(backlogBody(i), d.getBody(), () -> "body of message " + index);
      assertFalse(d.getEnvelope().isRedeliver());
      if (i % 500 == 499) {
        channel.basicAck(d.getEnvelope().getDeliveryTag(), true);
      }
    }
    assertNull(deliveries.poll(200, TimeUnit.MILLISECONDS), "nothing beyond the backlog");
    assertEquals(0, channel.queueDeclarePassive(queue).getMessageCount());
    channel.queueDelete(queue);
  }

  /** 1 KiB that differs from one message to the next. */
  private static byte[] backlogBody(int i) {
    byte[] body = new byte[1024];
    ByteBuffer.wrap(body).putInt(i).putInt(~i);
    for (int j = 8; j < body.length; j++) {
      body[j] = (byte) (i + j);
    }
    return body;
  }

  @Test
  void persistentPublishesOfACommittedTransactionSurviveAndUncommittedOnesDoNot() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "tx");
    setup.txSelect();
    for (int i = 0; i < 5; i++) {
      setup.basicPublish("", queue, PERSISTENT, ("committed" + i).getBytes(UTF_8));
    }
    setup.txCommit();
    setup.basicPublish("", queue, PERSISTENT, "uncommitted".getBytes(UTF_8));
    assertEquals(5, setup.queueDeclarePassive(queue).getMessageCount());

    restart();

    Channel channel = channel();
    assertEquals(
        List.of("committed0", "committed1", "committed2", "committed3", "committed4"),
        drain(channel, queue));
    channel.queueDelete(queue);
  }

  @Test
  void anAckCommittedInATransactionSurvivesARestart() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "tx-ack");
    for (int i = 0; i < 3; i++) {
      setup.basicPublish("", queue, PERSISTENT, ("m" + i).getBytes(UTF_8));
    }
    Channel tx = channel();
    tx.txSelect();
    GetResponse m0 = tx.basicGet(queue, false);
    GetResponse m1 = tx.basicGet(queue, false);
    tx.basicAck(m0.getEnvelope().getDeliveryTag(), false);
    tx.txCommit();
    tx.basicAck(m1.getEnvelope().getDeliveryTag(), false); // never committed

    restart();

    Channel channel = channel();
    List<String> bodies = new ArrayList<>();
    List<Boolean> flags = new ArrayList<>();
    for (GetResponse r = channel.basicGet(queue, true);
        r != null;
        r = channel.basicGet(queue, true)) {
      bodies.add(body(r));
      flags.add(r.getEnvelope().isRedeliver());
    }
    assertEquals(List.of("m1", "m2"), bodies);
    assertEquals(List.of(true, false), flags);
    channel.queueDelete(queue);
  }

  @Test
  void aQueueWithNothingPersistentStillAcceptsMessagesAfterARestart() throws Exception {
    Channel setup = channel();
    String queue = durableQueue(setup, "reuse");
    setup.basicPublish("", queue, PERSISTENT, "before".getBytes(UTF_8));
    assertEquals("before", getBody(setup, queue));

    restart();

    Channel channel = channel();
    channel.basicPublish("", queue, PERSISTENT, "after".getBytes(UTF_8));
    assertEquals("after", getBody(channel, queue));
    assertNull(getBody(channel, queue));
    channel.queueDelete(queue);
  }
}
