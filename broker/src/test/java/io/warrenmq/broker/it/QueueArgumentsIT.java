package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.CloseAssertions.assertChannelClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The queue arguments RabbitMQ 3.10 interprets: each refused with its reply text when its value is
 * wrong, or when it belongs to another queue type; on redeclaration, compared before anything is
 * validated.
 */
class QueueArgumentsIT extends BrokerTestSupport {

  private static final int QUEUE = 50;
  private static final int DECLARE = 10;

  private Connection connection;
  private Channel channel;
  private String name;

  @BeforeEach
  void open() throws Exception {
    connection = newConnection();
    channel = connection.createChannel();
    name = uniqueName("args");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (connection.isOpen()) {
      try (Channel c = connection.createChannel()) {
        c.queueDelete(name);
      }
    }
  }

  /** Arguments in the order given, as a client sends them. */
  private static Map<String, Object> args(Object... pairs) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }

  static Stream<Arguments> invalidArguments() {
    return Stream.of(
        Arguments.of(args("x-expires", 0), "invalid arg 'x-expires' for %s: {value_zero,0}"),
        Arguments.of(
            args("x-expires", "soon"),
            "invalid arg 'x-expires' for %s: \"expected integer, got longstr\""),
        Arguments.of(
            args("x-message-ttl", 315_360_000_001L),
            "invalid arg 'x-message-ttl' for %s: {value_too_large,315360000001}"),
        Arguments.of(
            args("x-message-ttl", 1.5),
            "invalid arg 'x-message-ttl' for %s: \"expected integer, got double\""),
        Arguments.of(
            args("x-dead-letter-routing-key", "k"),
            "invalid arg 'x-dead-letter-routing-key' for %s: routing_key_but_no_dlx_defined"),
        Arguments.of(
            args("x-dead-letter-exchange", "dlx", "x-dead-letter-routing-key", 5),
            "invalid arg 'x-dead-letter-routing-key' for %s: {unacceptable_type,signedint}"),
        Arguments.of(
            args("x-dead-letter-exchange", 5),
            "invalid type 'signedint' for arg 'x-dead-letter-exchange' in %s"),
        Arguments.of(
            // The dead-letter exchange's type is checked before any other argument.
            args("x-message-ttl", "soon", "x-dead-letter-exchange", true),
            "invalid type 'bool' for arg 'x-dead-letter-exchange' in %s"),
        Arguments.of(
            args("x-max-priority", 256),
            "invalid arg 'x-max-priority' for %s: {max_value_exceeded,256}"),
        Arguments.of(
            args("x-max-priority", -1), "invalid arg 'x-max-priority' for %s: {value_negative,-1}"),
        Arguments.of(
            args("x-overflow", "drop-tail"), "invalid arg 'x-overflow' for %s: invalid_overflow"),
        Arguments.of(
            args("x-overflow", 1),
            "invalid arg 'x-overflow' for %s: {unacceptable_type,signedint}"),
        Arguments.of(
            args("x-queue-mode", "eager"),
            "invalid arg 'x-queue-mode' for %s: \"unsupported queue mode 'eager'\""),
        Arguments.of(
            args("x-queue-version", 3),
            "invalid arg 'x-queue-version' for %s: \"unsupported queue version '3'\""),
        Arguments.of(
            args("x-single-active-consumer", "yes"),
            "invalid arg 'x-single-active-consumer' for %s: {unacceptable_type,longstr}"),
        Arguments.of(
            // Arguments are checked in RabbitMQ's order, not the order they came in.
            args("x-max-length", "ten", "x-message-ttl", "soon"),
            "invalid arg 'x-message-ttl' for %s: \"expected integer, got longstr\""),
        Arguments.of(
            args("x-delivery-limit", 3),
            "invalid arg 'x-delivery-limit' for %s of queue type rabbit_classic_queue"),
        Arguments.of(
            args("x-dead-letter-strategy", "at-least-once"),
            "invalid arg 'x-dead-letter-strategy' for %s of queue type rabbit_classic_queue"),
        Arguments.of(
            args("x-max-age", "1D"),
            "invalid arg 'x-max-age' for %s of queue type rabbit_classic_queue"),
        Arguments.of(
            // A type's own arguments are checked before those of other types.
            args("x-delivery-limit", 3, "x-max-length", -1),
            "invalid arg 'x-max-length' for %s: {value_negative,-1}"));
  }

  @ParameterizedTest
  @MethodSource("invalidArguments")
  void anInvalidArgumentClosesTheChannelWith406(Map<String, Object> arguments, String text) {
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - " + text.formatted("queue '" + name + "' in vhost '/'"),
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, arguments));
  }

  @Test
  void everyArgumentOfAClassicQueueIsAcceptedWithAGoodValue() throws Exception {
    Map<String, Object> all =
        args(
            "x-expires",
            60_000,
            "x-message-ttl",
            315_360_000_000L,
            "x-dead-letter-exchange",
            "",
            "x-dead-letter-routing-key",
            "dead",
            "x-max-length",
            10,
            "x-max-length-bytes",
            10_000L,
            "x-max-priority",
            (byte) 9,
            "x-overflow",
            "reject-publish",
            "x-queue-mode",
            "lazy",
            "x-queue-version",
            2,
            "x-single-active-consumer",
            false,
            "x-queue-type",
            "classic",
            "x-queue-master-locator",
            "min-masters",
            "x-unknown",
            "passes");
    channel.queueDeclare(name, false, false, false, all);
    channel.queueDeclare(name, false, false, false, all);
    assertTrue(channel.isOpen());
  }

  @Test
  void redeclaringWithAnInvalidArgumentIsInequivalentNotInvalid() {
    // RabbitMQ compares with the existing queue first; the new value is never validated.
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '"
            + name
            + "' in vhost '/': received the value 'soon' of type 'longstr' but current is none",
        QUEUE,
        DECLARE,
        () -> {
          channel.queueDeclare(name, false, false, false, null);
          channel.queueDeclare(name, false, false, false, args("x-message-ttl", "soon"));
        });
  }

  @Test
  void redeclaringWithAnArgumentOfAnotherTypeIsNotChecked() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    channel.queueDeclare(name, false, false, false, args("x-delivery-limit", 3));
    assertTrue(channel.isOpen());
  }

  @Test
  void aClassicQueueMatchesARedeclarationThatNamesItsType() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    channel.queueDeclare(name, false, false, false, args("x-queue-type", "classic"));
    channel.queueDeclare(name, false, false, false, null);
    assertTrue(channel.isOpen());
  }

  @Test
  void redeclaringWithAnotherQueueModeClosesTheChannelWith406() {
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-queue-mode' for queue '"
            + name
            + "' in vhost '/': received the value 'lazy' of type 'longstr' but current is none",
        QUEUE,
        DECLARE,
        () -> {
          channel.queueDeclare(name, false, false, false, null);
          channel.queueDeclare(name, false, false, false, args("x-queue-mode", "lazy"));
        });
  }

  @Test
  void redeclaringWithAnotherSingleActiveConsumerFlagClosesTheChannelWith406() {
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-single-active-consumer' for queue '"
            + name
            + "' in vhost '/': received 'false' but current is 'true'",
        QUEUE,
        DECLARE,
        () -> {
          channel.queueDeclare(name, false, false, false, args("x-single-active-consumer", true));
          channel.queueDeclare(name, false, false, false, args("x-single-active-consumer", false));
        });
  }
}
