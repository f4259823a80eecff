package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consumers that filter their queue with a JMS selector ({@code x-filter-jms-selector}): each takes
 * the matching messages wherever they stand in the queue, and leaves the rest, in order, for other
 * consumers. A WarrenMQ extension (RabbitMQ has no consumer filters), so in-process only.
 */
class ConsumerSelectorIT extends MessagingSupport {

  private static final String ARG = "x-filter-jms-selector";

  @BeforeEach
  void onlyWarrenFilters() {
    assumeInProcess();
  }

  private static AMQP.BasicProperties colored(String color) {
    return new AMQP.BasicProperties.Builder().headers(Map.of("color", color)).build();
  }

  private static void publish(Channel channel, String queue, String color, String body)
      throws IOException {
    channel.basicPublish("", queue, colored(color), body.getBytes(UTF_8));
  }

  private static BlockingQueue<Delivery> select(
      Channel channel, String queue, String selector, boolean autoAck) throws IOException {
    BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    channel.basicConsume(
        queue,
        autoAck,
        Map.of(ARG, selector),
        (tag, delivery) -> deliveries.add(delivery),
        tag -> {});
    return deliveries;
  }

  private static void assertNothingMore(BlockingQueue<Delivery> deliveries) throws Exception {
    Delivery extra = deliveries.poll(200, TimeUnit.MILLISECONDS);
    assertNull(extra, () -> "unexpected delivery " + body(extra));
  }

  @Test
  void theServerAdvertisesConsumerSelectors() throws Exception {
    Connection connection = newConnection();
    @SuppressWarnings("unchecked")
    Map<String, Object> capabilities =
        (Map<String, Object>) connection.getServerProperties().get("capabilities");
    assertEquals(Boolean.TRUE, capabilities.get("jms_selectors"));
  }

  @Test
  void aSelectingConsumerTakesOnlyMatchingMessagesAndTheRestStayInOrder() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    for (int i = 0; i < 10; i++) {
      publish(channel, queue, i % 2 == 0 ? "red" : "blue", "m" + i);
    }
    BlockingQueue<Delivery> reds = select(channel, queue, "color = 'red'", true);
    assertEquals(List.of("m0", "m2", "m4", "m6", "m8"), nextBodies(reds, 5));
    assertNothingMore(reds);
    assertEquals(5, readyCount(queue));
    Channel other = newConnection().createChannel();
    assertEquals(List.of("m1", "m3", "m5", "m7", "m9"), nextBodies(consume(other, queue, true), 5));
  }

  @Test
  void aMatchBehindManyNonMatchingMessagesIsDelivered() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    for (int i = 0; i < 5_000; i++) {
      publish(channel, queue, "blue", "b" + i);
    }
    publish(channel, queue, "red", "r");
    BlockingQueue<Delivery> reds = select(channel, queue, "color = 'red'", true);
    assertEquals("r", body(next(reds)));
    assertEquals(5_000, readyCount(queue));
  }

  @Test
  void aWaitingSelectingConsumerGetsMatchesPublishedLater() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> reds = select(channel, queue, "color = 'red'", true);
    publish(channel, queue, "blue", "b1");
    publish(channel, queue, "red", "r1");
    publish(channel, queue, "blue", "b2");
    publish(channel, queue, "red", "r2");
    assertEquals(List.of("r1", "r2"), nextBodies(reds, 2));
    assertNothingMore(reds);
    assertEquals(2, readyCount(queue));
  }

  @Test
  void consumersWithDifferentSelectorsShareOneQueue() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    Channel a = newConnection().createChannel();
    Channel b = newConnection().createChannel();
    a.basicQos(3);
    b.basicQos(3);
    BlockingQueue<Delivery> fromA = new LinkedBlockingQueue<>();
    BlockingQueue<Delivery> fromB = new LinkedBlockingQueue<>();
    a.basicConsume(
        queue,
        false,
        Map.of(ARG, "color = 'red'"),
        (tag, d) -> {
          fromA.add(d);
          a.basicAck(d.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});
    b.basicConsume(
        queue,
        false,
        Map.of(ARG, "color IN ('blue', 'green')"),
        (tag, d) -> {
          fromB.add(d);
          b.basicAck(d.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});
    List<String> reds = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String color = i % 3 == 0 ? "red" : i % 3 == 1 ? "blue" : "green";
      publish(channel, queue, color, "m" + i);
      (color.equals("red") ? reds : others).add("m" + i);
    }
    assertEquals(reds, nextBodies(fromA, reds.size()));
    assertEquals(others, nextBodies(fromB, others.size()));
    assertNothingMore(fromA);
    assertEquals(0, readyCount(queue));
  }

  @Test
  void prefetchLimitsASelectingConsumer() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    for (int i = 0; i < 3; i++) {
      publish(channel, queue, "blue", "b" + i);
      publish(channel, queue, "red", "r" + i);
    }
    channel.basicQos(1);
    BlockingQueue<Delivery> reds = select(channel, queue, "color = 'red'", false);
    for (int i = 0; i < 3; i++) {
      Delivery d = next(reds);
      assertEquals("r" + i, body(d));
      assertNothingMore(reds);
      channel.basicAck(d.getEnvelope().getDeliveryTag(), false);
    }
    assertEquals(3, readyCount(queue));
  }

  @Test
  void aRejectedMatchComesBackToTheSelectingConsumerRedelivered() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "blue", "b");
    publish(channel, queue, "red", "r");
    BlockingQueue<Delivery> reds = select(channel, queue, "color = 'red'", false);
    Delivery first = next(reds);
    assertEquals("r", body(first));
    channel.basicReject(first.getEnvelope().getDeliveryTag(), true);
    Delivery again = next(reds);
    assertEquals("r", body(again));
    assertTrue(again.getEnvelope().isRedeliver());
    channel.basicAck(again.getEnvelope().getDeliveryTag(), false);
    assertEquals(1, readyCount(queue));
  }

  @Test
  void whatASelectingConsumerHeldGoesToOthersWhenItLeaves() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "blue", "b");
    publish(channel, queue, "red", "r");
    Connection selecting = newConnection();
    BlockingQueue<Delivery> reds = select(selecting.createChannel(), queue, "color = 'red'", false);
    assertEquals("r", body(next(reds)));
    selecting.close();
    BlockingQueue<Delivery> all = consume(channel, queue, true);
    Delivery b = next(all);
    Delivery r = next(all);
    assertEquals(List.of("b", "r"), List.of(body(b), body(r)));
    assertTrue(r.getEnvelope().isRedeliver());
  }

  @Test
  void jmsHeaderFieldsSelectOnTheirAmqpProperties() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    long now = System.currentTimeMillis() / 1000 * 1000;
    channel.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder()
            .priority(7)
            .correlationId("c-1")
            .type("order")
            .messageId("ID:1")
            .deliveryMode(2)
            .timestamp(new Date(now))
            .build(),
        "match".getBytes(UTF_8));
    channel.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder().deliveryMode(1).build(),
        "plain".getBytes(UTF_8));
    String selector =
        "JMSPriority > 5 AND JMSCorrelationID = 'c-1' AND JMSType = 'order'"
            + " AND JMSMessageID = 'ID:1' AND JMSDeliveryMode = 'PERSISTENT'"
            + " AND JMSTimestamp = "
            + now;
    assertEquals("match", body(next(select(channel, queue, selector, true))));
    Channel other = newConnection().createChannel();
    assertEquals(
        "plain",
        body(
            next(
                select(
                    other,
                    queue,
                    "JMSPriority = 4 AND JMSDeliveryMode = 'NON_PERSISTENT'"
                        + " AND JMSCorrelationID IS NULL",
                    true))));
  }

  @Test
  void aMissingPropertyIsUnknownAndDoesNotMatch() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicPublish("", queue, null, "bare".getBytes(UTF_8));
    publish(channel, queue, "red", "red");
    BlockingQueue<Delivery> notRed = select(channel, queue, "color <> 'red'", true);
    assertNothingMore(notRed);
    assertEquals(2, readyCount(queue));
  }

  @Test
  void anInvalidSelectorClosesTheChannelWithPreconditionFailed() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    AMQP.Channel.Close close =
        channelError(channel, () -> select(channel, queue, "color = ", true));
    assertEquals(406, close.getReplyCode());
    assertTrue(
        close.getReplyText().startsWith("PRECONDITION_FAILED - invalid JMS selector 'color = '"),
        close.getReplyText());
    assertEquals(BASIC, close.getClassId());
    assertEquals(BASIC_CONSUME, close.getMethodId());
  }

  @Test
  void aSelectorThatIsNotAStringIsRefused() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    AMQP.Channel.Close close =
        channelError(
            channel,
            () -> channel.basicConsume(queue, true, Map.of(ARG, 42), (t, d) -> {}, t -> {}));
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - invalid arg 'x-filter-jms-selector' for consumer: must be a string",
        BASIC,
        BASIC_CONSUME);
  }

  @Test
  void aSelectingConsumerOfAPriorityQueueTakesMatchesByPriorityAndOnesThatArriveLater()
      throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-priority", 5));
    int[] priorities = {0, 2, 5, 2, 0};
    for (int i = 0; i < priorities.length; i++) {
      publish(channel, queue, i % 2 == 0 ? "red" : "blue", priorities[i], "m" + i);
    }
    BlockingQueue<Delivery> reds = select(channel, queue, "color = 'red'", true);
    assertEquals(List.of("m2", "m0", "m4"), nextBodies(reds, 3));
    assertNothingMore(reds);
    // The consumer has searched the whole queue; a red of a higher priority than the blues
    // left there is placed before them, and is still found.
    publish(channel, queue, "red", 4, "late");
    assertEquals(List.of("late"), nextBodies(reds, 1));
    assertNothingMore(reds);
    assertEquals(2, readyCount(queue));
  }

  private static void publish(
      Channel channel, String queue, String color, int priority, String body) throws IOException {
    channel.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder()
            .headers(Map.of("color", color))
            .priority(priority)
            .build(),
        body.getBytes(UTF_8));
  }
}
