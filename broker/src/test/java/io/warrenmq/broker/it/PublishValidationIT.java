package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What RabbitMQ checks when a message is published, beyond its properties' encoding: the {@code
 * expiration} property (rabbit_basic:parse_expiration), the delivery mode, {@code immediate} (not
 * implemented since RabbitMQ 3.0), and the consumer argument {@code x-priority}. Each refusal has
 * RabbitMQ's code and text, and a refused message is not enqueued.
 */
class PublishValidationIT extends MessagingSupport {

  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

  static Stream<Arguments> refusedExpirations() {
    return Stream.of(
        Arguments.of("abc", "no_integer"),
        Arguments.of("", "no_integer"),
        Arguments.of(" 5", "no_integer"),
        Arguments.of("-", "no_integer"),
        Arguments.of("-1", "{value_negative,-1}"),
        Arguments.of("10x", "{leftover_string,\"x\"}"),
        Arguments.of("1.5", "{leftover_string,\".5\"}"),
        Arguments.of("5 ", "{leftover_string,\" \"}"),
        Arguments.of("-5x", "{leftover_string,\"x\"}"),
        Arguments.of("5\"\\", "{leftover_string,\"\\\"\\\\\"}"),
        Arguments.of("5\t", "{leftover_string,\"\\t\"}"),
        Arguments.of("5é", "{leftover_string,\"é\"}"),
        Arguments.of("5€", "{leftover_string,[226,130,172]}"),
        Arguments.of("5\u0001", "{leftover_string,[1]}"),
        Arguments.of("315360000001", "{value_too_large,315360000001}"),
        Arguments.of("0000315360000001", "{value_too_large,315360000001}"),
        // Erlang's ~p breaks a term that would pass column 78 after its first element
        Arguments.of(
            "9223372036854775807", "{value_too_large,\n" + " ".repeat(43) + "9223372036854775807}"),
        Arguments.of(
            "00000000000000315360000001", "{value_too_large,\n" + " ".repeat(50) + "315360000001}"),
        Arguments.of(
            "0000000000000315360000001", "{value_too_large,315360000001}"), // ends at column 78
        Arguments.of(
            "1abcdefghijklmnopqrstuvwxyz",
            "{leftover_string,\n" + " ".repeat(51) + "\"abcdefghijklmnopqrstuvwxyz\"}"));
  }

  @ParameterizedTest(name = "expiration [{0}]")
  @MethodSource("refusedExpirations")
  void anExpirationRabbitMqCannotReadClosesTheChannelWith406(String expiration, String reason)
      throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().expiration(expiration).build();
    AMQP.Channel.Close close =
        channelError(
            channel,
            () -> {
              channel.basicPublish("", queue, props, "m".getBytes(UTF_8));
              channel.queueDeclarePassive(queue);
            });
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - invalid expiration '" + expiration + "': " + reason,
        BASIC,
        BASIC_PUBLISH);
    assertNull(connection.createChannel().basicGet(queue, true), "nothing was enqueued");
  }

  @ParameterizedTest(name = "expiration [{0}]")
  @ValueSource(strings = {"+60000", "060000", "315360000000", "-0"})
  void anExpirationRabbitMqReadsIsAcceptedAndRelayedAsSent(String expiration) throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.confirmSelect();
    channel.basicConsume(
        queue, true, (tag, d) -> received.add(d.getProperties().getExpiration()), tag -> {});
    channel.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder().expiration(expiration).build(),
        "m".getBytes(UTF_8));
    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);
    assertEquals(expiration, received.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @ParameterizedTest(name = "delivery mode {0}")
  @ValueSource(ints = {0, 3, 255})
  void aDeliveryModeOtherThanOneOrTwoClosesTheChannelWith406(int mode) throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(mode).build();
    AMQP.Channel.Close close =
        channelError(
            channel,
            () -> {
              channel.basicPublish("", queue, props, "m".getBytes(UTF_8));
              channel.queueDeclarePassive(queue);
            });
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - invalid message: {delivery_mode_unknown," + mode + "}",
        BASIC,
        BASIC_PUBLISH);
    assertNull(connection.createChannel().basicGet(queue, true), "nothing was enqueued");
  }

  @Test
  void aBadExpirationIsReportedBeforeABadDeliveryMode() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    AMQP.BasicProperties props =
        new AMQP.BasicProperties.Builder().deliveryMode(3).expiration("soon").build();
    AMQP.Channel.Close close =
        channelError(
            channel,
            () -> {
              channel.basicPublish("", queue, props, "m".getBytes(UTF_8));
              channel.queueDeclarePassive(queue);
            });
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - invalid expiration 'soon': no_integer",
        BASIC,
        BASIC_PUBLISH);
  }

  @Test
  void immediatePublishingClosesTheConnectionWith540() throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);
    AMQP.Connection.Close close =
        connectionError(
            channel,
            () -> {
              channel.basicPublish("", queue, false, true, null, "m".getBytes(UTF_8));
              channel.queueDeclarePassive(queue);
            });
    assertConnectionClose(close, 540, "NOT_IMPLEMENTED - immediate=true", BASIC, BASIC_PUBLISH);
    try (Connection other = connectionFactory().newConnection()) {
      assertNull(other.createChannel().basicGet(queue, true), "nothing was enqueued");
    }
  }

  static Stream<Arguments> refusedConsumerPriorities() {
    return Stream.of(
        Arguments.of("high", "longstr"),
        Arguments.of(1.5d, "double"),
        Arguments.of(1.5f, "float"),
        Arguments.of(true, "bool"),
        Arguments.of(new java.math.BigDecimal("1.5"), "decimal"),
        Arguments.of(java.util.List.of(1), "array"));
  }

  @ParameterizedTest(name = "x-priority {1}")
  @MethodSource("refusedConsumerPriorities")
  void aConsumerPriorityThatIsNotAnIntegerClosesTheChannelWith406(Object priority, String type)
      throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    AMQP.Channel.Close close =
        channelError(
            channel,
            () ->
                channel.basicConsume(
                    queue, true, arguments("x-priority", priority), (t, d) -> {}, t -> {}));
    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - invalid arg 'x-priority' for queue '"
            + queue
            + "' in vhost '/': \"expected integer, got "
            + type
            + "\"",
        BASIC,
        BASIC_CONSUME);
  }

  @ParameterizedTest(name = "x-priority {0}")
  @MethodSource("integerPriorities")
  void aConsumerPriorityOfAnyIntegerTypeIsAccepted(Object priority) throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicConsume(queue, true, arguments("x-priority", priority), (t, d) -> {}, t -> {});
    assertEquals(1, channel.queueDeclarePassive(queue).getConsumerCount());
  }

  static Stream<Object> integerPriorities() {
    return Stream.of((byte) -3, (short) 7, 5, 1L << 40);
  }

  @Test
  void aPublishRefusedOnOneChannelLeavesTheConnectionsOtherChannelsWorking() throws Exception {
    Connection connection = newConnection();
    Channel bad = connection.createChannel();
    Channel good = connection.createChannel();
    String queue = declareQueue(good);
    channelError(
        bad,
        () -> {
          bad.basicPublish(
              "", queue, new AMQP.BasicProperties.Builder().expiration("x").build(), new byte[0]);
          bad.queueDeclarePassive(queue);
        });
    publish(good, queue, "fine");
    long deadline = System.nanoTime() + Duration.ofSeconds(TIMEOUT_SECONDS).toNanos();
    GetResponse r = null;
    while (r == null && System.nanoTime() < deadline) {
      r = good.basicGet(queue, true);
    }
    assertNotNull(r);
    assertEquals("fine", body(r));
  }
}
