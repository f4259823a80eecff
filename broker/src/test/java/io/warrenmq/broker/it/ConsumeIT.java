package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.LongString;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** basic.consume, basic.cancel and basic.deliver (AMQP 0-9-1 §1.8.3.3–1.8.3.9). */
class ConsumeIT extends MessagingSupport {

  @Test
  void serverGeneratedConsumerTagStartsWithAmqCtag() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<String> tags = new LinkedBlockingQueue<>();

    String tag = channel.basicConsume(queue, true, (t, d) -> tags.add("deliver " + t), t -> {});
    publish(channel, queue, "m");

    assertTrue(tag.startsWith("amq.ctag-"), tag);
    assertTrue(tag.length() > "amq.ctag-".length(), tag);
    assertEquals("deliver " + tag, tags.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void clientChosenConsumerTagIsUsedInConsumeOkAndDeliveries() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<String> tags = new LinkedBlockingQueue<>();

    String tag =
        channel.basicConsume(queue, true, "my-tag", (t, d) -> tags.add("deliver " + t), t -> {});
    publish(channel, queue, "m");

    assertEquals("my-tag", tag);
    assertEquals("deliver my-tag", tags.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void reusingAConsumerTagOnTheSameChannelClosesTheConnectionWith530() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicConsume(queue, true, "x", (t, d) -> {}, t -> {});

    AMQP.Connection.Close close =
        connectionError(
            channel, () -> channel.basicConsume(queue, true, "x", (t, d) -> {}, t -> {}));

    assertConnectionClose(
        close, 530, "NOT_ALLOWED - attempt to reuse consumer tag 'x'", BASIC, BASIC_CONSUME);
  }

  @Test
  void theSameConsumerTagMayBeUsedOnTwoChannels() throws Exception {
    Connection connection = newConnection();
    Channel first = connection.createChannel();
    Channel second = connection.createChannel();
    String queue = declareQueue(first);

    first.basicConsume(queue, true, "shared", (t, d) -> {}, t -> {});
    second.basicConsume(queue, true, "shared", (t, d) -> {}, t -> {});

    assertEquals(2, first.consumerCount(queue));
  }

  @Test
  void consumingFromAMissingQueueClosesTheChannelWith404() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("missing");

    AMQP.Channel.Close close =
        channelError(channel, () -> channel.basicConsume(queue, true, (t, d) -> {}, t -> {}));

    assertChannelClose(
        close, 404, "NOT_FOUND - no queue '" + queue + "' in vhost '/'", BASIC, BASIC_CONSUME);
  }

  @Test
  void aSecondConsumerOnAQueueWithAnExclusiveConsumerIsRefusedWith403() throws Exception {
    Channel owner = newConnection().createChannel();
    String queue = declareQueue(owner);
    owner.basicConsume(queue, true, "", false, true, null, (t, d) -> {}, t -> {});
    Channel other = newConnection().createChannel();

    AMQP.Channel.Close close =
        channelError(other, () -> other.basicConsume(queue, true, (t, d) -> {}, t -> {}));

    assertChannelClose(
        close,
        403,
        "ACCESS_REFUSED - queue '" + queue + "' in vhost '/' in exclusive use",
        BASIC,
        BASIC_CONSUME);
  }

  @Test
  void anExclusiveConsumerIsRefusedWith403WhileTheQueueHasAConsumer() throws Exception {
    Channel owner = newConnection().createChannel();
    String queue = declareQueue(owner);
    owner.basicConsume(queue, true, (t, d) -> {}, t -> {});
    Channel other = newConnection().createChannel();

    AMQP.Channel.Close close =
        channelError(
            other,
            () -> other.basicConsume(queue, true, "", false, true, null, (t, d) -> {}, t -> {}));

    assertChannelClose(
        close,
        403,
        "ACCESS_REFUSED - queue '" + queue + "' in vhost '/' in exclusive use",
        BASIC,
        BASIC_CONSUME);
  }

  @Test
  void anExclusiveConsumerIsRefusedEvenOnTheChannelThatHoldsTheOtherConsumer() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicConsume(queue, true, (t, d) -> {}, t -> {});

    AMQP.Channel.Close close =
        channelError(
            channel,
            () -> channel.basicConsume(queue, true, "", false, true, null, (t, d) -> {}, t -> {}));

    assertChannelClose(
        close,
        403,
        "ACCESS_REFUSED - queue '" + queue + "' in vhost '/' in exclusive use",
        BASIC,
        BASIC_CONSUME);
  }

  @Test
  void afterTheExclusiveConsumerCancelsOthersMayConsume() throws Exception {
    Channel owner = newConnection().createChannel();
    String queue = declareQueue(owner);
    String tag = owner.basicConsume(queue, true, "", false, true, null, (t, d) -> {}, t -> {});
    owner.basicCancel(tag);
    Channel other = newConnection().createChannel();

    other.basicConsume(queue, true, (t, d) -> {}, t -> {});

    assertEquals(1, other.consumerCount(queue));
  }

  @Test
  void cancelReturnsCancelOkAndStopsDeliveries() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    CompletableFuture<String> cancelOk = new CompletableFuture<>();
    String tag =
        channel.basicConsume(
            queue,
            true,
            new DefaultConsumer(channel) {
              @Override
              public void handleDelivery(
                  String consumerTag,
                  Envelope envelope,
                  AMQP.BasicProperties properties,
                  byte[] body) {
                deliveries.add(new Delivery(envelope, properties, body));
              }

              @Override
              public void handleCancelOk(String consumerTag) {
                cancelOk.complete(consumerTag);
              }
            });
    publish(channel, queue, "before");
    assertEquals("before", body(next(deliveries)));

    channel.basicCancel(tag);
    publish(channel, queue, "after");

    assertEquals(tag, cancelOk.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1);
    assertEquals(0, consumerCount(queue));
    assertTrue(deliveries.isEmpty(), "nothing is delivered after basic.cancel");
    assertTrue(channel.isOpen());
  }

  @Test
  void cancelOkCarriesTheCancelledTag() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicConsume(queue, true, "to-cancel", (t, d) -> {}, t -> {});

    Object reply =
        channel.rpc(new AMQP.Basic.Cancel.Builder().consumerTag("to-cancel").build()).getMethod();

    assertEquals("to-cancel", assertInstanceOf(AMQP.Basic.CancelOk.class, reply).getConsumerTag());
  }

  @Test
  void cancellingAnUnknownConsumerTagReturnsCancelOk() throws Exception {
    Channel channel = newConnection().createChannel();

    // the Java client refuses unknown tags itself, so send the method as it is on the wire
    Object reply =
        channel.rpc(new AMQP.Basic.Cancel.Builder().consumerTag("no-such-tag").build()).getMethod();

    assertEquals(
        "no-such-tag", assertInstanceOf(AMQP.Basic.CancelOk.class, reply).getConsumerTag());
    assertTrue(channel.isOpen());
  }

  @Test
  void threeConsumersOnOneQueueTakeTurns() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    List<BlockingQueue<Delivery>> consumers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      consumers.add(consume(channel, queue, true));
    }
    Channel publisher = newConnection().createChannel();

    for (int i = 0; i < 30; i++) {
      publish(publisher, queue, Integer.toString(i));
    }

    List<List<Integer>> received = new ArrayList<>();
    for (BlockingQueue<Delivery> consumer : consumers) {
      List<Integer> got = new ArrayList<>();
      for (String body : nextBodies(consumer, 10)) {
        got.add(Integer.parseInt(body));
      }
      received.add(got);
    }
    // consumers are served in the order they subscribed, one message each in turn
    for (int c = 0; c < 3; c++) {
      List<Integer> expected = new ArrayList<>();
      for (int i = c; i < 30; i += 3) {
        expected.add(i);
      }
      assertEquals(expected, received.get(c), "consumer " + c);
    }
  }

  @Test
  void allFourteenBasicPropertiesArriveUnchanged() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("inner", "value");
    nested.put("deeper", Map.of("n", 7));
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("string", "text é");
    headers.put("int", 42);
    headers.put("long", 1L << 40);
    headers.put("boolean", true);
    headers.put("double", 2.5d);
    headers.put("bytes", new byte[] {0, 1, 2, (byte) 0xff});
    headers.put("timestamp", new Date(1_700_000_000_000L));
    headers.put("array", List.of("a", 1, false, List.of(2L)));
    headers.put("table", nested);
    headers.put("void", null);
    AMQP.BasicProperties sent =
        new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .contentEncoding("gzip")
            .headers(headers)
            .deliveryMode(2)
            .priority(5)
            .correlationId("corr-1")
            .replyTo("reply-queue")
            .expiration("60000")
            .messageId("msg-1")
            .timestamp(new Date(1_600_000_000_000L)) // whole seconds: the wire has no millis
            .type("order.created")
            .userId("guest") // RabbitMQ only accepts the authenticated user's name here
            .appId("consume-it")
            .clusterId("cluster-1")
            .build();

    channel.basicPublish("", queue, sent, "{}".getBytes(UTF_8));

    AMQP.BasicProperties got = next(deliveries).getProperties();
    assertEquals("application/json", got.getContentType());
    assertEquals("gzip", got.getContentEncoding());
    assertEquals(2, got.getDeliveryMode());
    assertEquals(5, got.getPriority());
    assertEquals("corr-1", got.getCorrelationId());
    assertEquals("reply-queue", got.getReplyTo());
    assertEquals("60000", got.getExpiration());
    assertEquals("msg-1", got.getMessageId());
    assertEquals(new Date(1_600_000_000_000L), got.getTimestamp());
    assertEquals("order.created", got.getType());
    assertEquals("guest", got.getUserId());
    assertEquals("consume-it", got.getAppId());
    assertEquals("cluster-1", got.getClusterId());
    assertEquals(comparable(headers), comparable(got.getHeaders()));
    assertInstanceOf(byte[].class, got.getHeaders().get("bytes"));
    assertInstanceOf(Long.class, got.getHeaders().get("long"));
    assertInstanceOf(Date.class, got.getHeaders().get("timestamp"));
  }

  @Test
  void unsetPropertiesStayUnset() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);

    publish(channel, queue, "bare");

    AMQP.BasicProperties got = next(deliveries).getProperties();
    assertEquals(new AMQP.BasicProperties(), got);
  }

  /** Body sizes around frame boundaries; a body frame carries at most frame_max - 8 octets. */
  enum BodySize {
    EMPTY(frameMax -> 0),
    ONE_OCTET(frameMax -> 1),
    EXACTLY_ONE_BODY_FRAME(frameMax -> frameMax - 8),
    ONE_OCTET_MORE_THAN_ONE_BODY_FRAME(frameMax -> frameMax - 7),
    THREE_FRAMES_AND_ONE_OCTET(frameMax -> frameMax * 3 + 1),
    ONE_MEBIBYTE(frameMax -> 1024 * 1024);

    final IntUnaryOperator size;

    BodySize(IntUnaryOperator size) {
      this.size = size;
    }
  }

  @ParameterizedTest
  @EnumSource(BodySize.class)
  void bodiesArriveByteForByte(BodySize bodySize) throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);
    byte[] body = new byte[bodySize.size.applyAsInt(connection.getFrameMax())];
    new Random(body.length).nextBytes(body);

    channel.basicPublish("", queue, null, body);

    assertArrayEquals(body, next(deliveries).getBody());
  }

  @Test
  void aHigherPriorityConsumerGetsMessagesWhileItHasPrefetchCredit() throws Exception {
    Connection connection = newConnection();
    Channel high = connection.createChannel();
    String queue = declareQueue(high);
    high.basicQos(3);
    BlockingQueue<Delivery> highDeliveries = new LinkedBlockingQueue<>();
    high.basicConsume(
        queue, false, Map.of("x-priority", 10), (t, d) -> highDeliveries.add(d), t -> {});
    Channel low = connection.createChannel();
    BlockingQueue<Delivery> lowDeliveries = consume(low, queue, true);

    for (int i = 0; i < 10; i++) {
      publish(high, queue, Integer.toString(i));
    }

    assertEquals(List.of("0", "1", "2"), nextBodies(highDeliveries, 3));
    assertEquals(List.of("3", "4", "5", "6", "7", "8", "9"), nextBodies(lowDeliveries, 7));

    // with credit again, the high-priority consumer is preferred again; publishing on the acking
    // channel keeps the ack ahead of the new messages
    long lastHighTag = 3;
    high.basicAck(lastHighTag, true);
    publish(high, queue, "10", "11", "12");

    assertEquals(List.of("10", "11", "12"), nextBodies(highDeliveries, 3));
    assertTrue(lowDeliveries.isEmpty(), "low-priority consumer got " + lowDeliveries.size());
  }

  @Test
  void consumersOfEqualPriorityTakeTurnsWhenAHigherOneHasNoCredit() throws Exception {
    Connection connection = newConnection();
    Channel high = connection.createChannel();
    String queue = declareQueue(high);
    high.basicQos(1);
    BlockingQueue<Delivery> highDeliveries = new LinkedBlockingQueue<>();
    high.basicConsume(
        queue, false, Map.of("x-priority", 5), (t, d) -> highDeliveries.add(d), t -> {});
    Channel low = connection.createChannel();
    BlockingQueue<Delivery> first = consume(low, queue, true);
    BlockingQueue<Delivery> second = consume(low, queue, true);

    for (int i = 0; i < 5; i++) {
      publish(high, queue, Integer.toString(i));
    }

    assertEquals(List.of("0"), nextBodies(highDeliveries, 1));
    assertEquals(List.of("1", "3"), nextBodies(first, 2));
    assertEquals(List.of("2", "4"), nextBodies(second, 2));
  }

  /** Header values with the client's wire types made comparable: long strings as strings. */
  private static Object comparable(Object value) {
    if (value instanceof LongString s) {
      return s.toString();
    }
    if (value instanceof byte[] bytes) {
      return ByteBuffer.wrap(bytes);
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new TreeMap<>();
      map.forEach((k, v) -> copy.put(k.toString(), comparable(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(ConsumeIT::comparable).toList();
    }
    return value;
  }
}
