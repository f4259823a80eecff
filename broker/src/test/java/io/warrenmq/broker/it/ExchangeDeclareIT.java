package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.CloseAssertions.assertChannelClose;
import static io.warrenmq.broker.it.CloseAssertions.assertConnectionClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** exchange.declare and exchange.delete (AMQP 0-9-1 §1.6.2), with RabbitMQ's reply texts. */
class ExchangeDeclareIT extends BrokerTestSupport {

  private static final int EXCHANGE = 40;
  private static final int DECLARE = 10;
  private static final int DELETE = 20;
  private static final int BASIC = 60;
  private static final int PUBLISH = 40;

  private Connection connection;
  private Channel channel;
  private String name;

  @BeforeEach
  void open() throws Exception {
    connection = newConnection();
    channel = connection.createChannel();
    name = uniqueName("x");
  }

  @AfterEach
  void cleanUp() throws Exception {
    try (Channel c = newConnection().createChannel()) {
      c.exchangeDelete(name);
    }
  }

  @ParameterizedTest
  @EnumSource(BuiltinExchangeType.class)
  void declaresEachBuiltinTypeAndPassiveDeclareFindsIt(BuiltinExchangeType type) throws Exception {
    assertNotNull(channel.exchangeDeclare(name, type));
    assertNotNull(channel.exchangeDeclarePassive(name));
  }

  @Test
  void redeclaringWithTheSamePropertiesSucceeds() throws Exception {
    Map<String, Object> args = Map.of("alternate-exchange", "ae");
    channel.exchangeDeclare(name, "topic", true, false, false, args);
    channel.exchangeDeclare(name, "topic", true, false, false, args);
    assertTrue(channel.isOpen());
  }

  @Test
  void redeclaringWithAnotherTypeClosesChannelWith406() throws Exception {
    channel.exchangeDeclare(name, "direct");
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'type' for exchange '"
            + name
            + "' in vhost '/': received 'fanout' but current is 'direct'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare(name, "fanout"));
  }

  @Test
  void redeclaringWithAnotherDurabilityClosesChannelWith406() throws Exception {
    channel.exchangeDeclare(name, "direct", false);
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '"
            + name
            + "' in vhost '/': received 'true' but current is 'false'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare(name, "direct", true));
  }

  @Test
  void redeclaringWithAnotherAutoDeleteClosesChannelWith406() throws Exception {
    channel.exchangeDeclare(name, "direct", false, false, null);
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'auto_delete' for exchange '"
            + name
            + "' in vhost '/': received 'true' but current is 'false'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare(name, "direct", false, true, null));
  }

  @Test
  void redeclaringWithAnotherInternalFlagClosesChannelWith406() throws Exception {
    channel.exchangeDeclare(name, "direct", false, false, false, null);
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'internal' for exchange '"
            + name
            + "' in vhost '/': received 'true' but current is 'false'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare(name, "direct", false, false, true, null));
  }

  @Test
  void redeclaringWithAnotherAlternateExchangeClosesChannelWith406() throws Exception {
    channel.exchangeDeclare(name, "direct", false, false, Map.of("alternate-exchange", "ae1"));
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '"
            + name
            + "' in vhost '/': received 'ae2' but current is 'ae1'",
        EXCHANGE,
        DECLARE,
        () ->
            channel.exchangeDeclare(
                name, "direct", false, false, Map.of("alternate-exchange", "ae2")));
  }

  @Test
  void redeclaringWithoutTheAlternateExchangeClosesChannelWith406() throws Exception {
    channel.exchangeDeclare(name, "direct", false, false, Map.of("alternate-exchange", "ae1"));
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '"
            + name
            + "' in vhost '/': received none but current is the value 'ae1' of type 'longstr'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare(name, "direct", false, false, null));
  }

  @Test
  void redeclaringWithOtherArgumentsThanAlternateExchangeSucceeds() throws Exception {
    // RabbitMQ compares only the alternate-exchange argument of an exchange.
    channel.exchangeDeclare(name, "direct", false, false, Map.of("x-custom", "one"));
    channel.exchangeDeclare(name, "direct", false, false, Map.of("x-custom", "two"));
    channel.exchangeDeclare(name, "direct", false, false, null);
    assertTrue(channel.isOpen());
  }

  @Test
  void passiveDeclareOfMissingExchangeClosesChannelWith404() {
    assertChannelClose(
        404,
        "NOT_FOUND - no exchange '" + name + "' in vhost '/'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclarePassive(name));
  }

  @Test
  void declaringANameWithTheReservedAmqPrefixClosesChannelWith403() {
    String reserved = "amq." + name;
    assertChannelClose(
        403,
        "ACCESS_REFUSED - exchange name '" + reserved + "' contains reserved prefix 'amq.*'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare(reserved, "direct"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"})
  void predeclaredExchangesExist(String predeclared) throws Exception {
    assertNotNull(channel.exchangeDeclarePassive(predeclared));
  }

  @Test
  void theTraceExchangeIsPredeclaredDurableInternalAndTopic() throws Exception {
    assertNotNull(channel.exchangeDeclarePassive("amq.rabbitmq.trace"));
    channel.exchangeDeclare("amq.rabbitmq.trace", "topic", true, false, true, null);
    assertTrue(channel.isOpen());
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'internal' for exchange 'amq.rabbitmq.trace' in"
            + " vhost '/': received 'false' but current is 'true'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare("amq.rabbitmq.trace", "topic", true, false, false, null));
  }

  @Test
  void theLogExchangeIsPredeclaredDurableInternalAndTopic() throws Exception {
    // RabbitMQ 3.10 declares it only when its log exchange is enabled; WarrenMQ always has it.
    assumeInProcess();
    assertNotNull(channel.exchangeDeclarePassive("amq.rabbitmq.log"));
    channel.exchangeDeclare("amq.rabbitmq.log", "topic", true, false, true, null);
    assertTrue(channel.isOpen());
  }

  @Test
  void aQueueCanBeBoundToTheTraceExchangeButClientsCannotPublishToIt() throws Exception {
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind(queue, "amq.rabbitmq.trace", "publish.#");
    assertChannelClose(
        403,
        "ACCESS_REFUSED - cannot publish to internal exchange 'amq.rabbitmq.trace' in vhost '/'",
        BASIC,
        PUBLISH,
        () -> {
          channel.basicPublish("amq.rabbitmq.trace", "publish.x", null, "no".getBytes());
          channel.queueDeclarePassive(queue);
        });
  }

  @Test
  void passiveDeclareOfTheDefaultExchangeClosesChannelWith403() {
    // RabbitMQ refuses every exchange.declare naming the default exchange, even a passive one.
    assertChannelClose(
        403,
        "ACCESS_REFUSED - operation not permitted on the default exchange",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclarePassive(""));
  }

  @Test
  void redeclaringAPredeclaredExchangeWithItsOwnPropertiesSucceeds() throws Exception {
    channel.exchangeDeclare("amq.direct", "direct", true);
    channel.exchangeDeclare("amq.topic", "topic", true);
    assertTrue(channel.isOpen());
  }

  @Test
  void redeclaringAPredeclaredExchangeWithOtherPropertiesClosesChannelWith406() {
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'amq.direct' in vhost"
            + " '/': received 'false' but current is 'true'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare("amq.direct", "direct", false));
  }

  @Test
  void declaringTheDefaultExchangeClosesChannelWith403() {
    assertChannelClose(
        403,
        "ACCESS_REFUSED - operation not permitted on the default exchange",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare("", "direct", true));
  }

  @Test
  void declaringAnUnknownTypeClosesConnectionWith503() {
    assertConnectionClose(
        503,
        "COMMAND_INVALID - invalid exchange type 'foo'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclare(name, "foo"));
    assertFalse(connection.isOpen());
  }

  @Test
  void deleteRemovesTheExchange() throws Exception {
    channel.exchangeDeclare(name, "fanout");
    channel.exchangeDelete(name);
    assertChannelClose(
        404,
        "NOT_FOUND - no exchange '" + name + "' in vhost '/'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclarePassive(name));
  }

  @Test
  void deletingAMissingExchangeSucceeds() throws Exception {
    // RabbitMQ 3.x answers delete-ok for an exchange that does not exist.
    assertNotNull(channel.exchangeDelete(name));
    assertTrue(channel.isOpen());
  }

  @Test
  void deleteIfUnusedOfABoundExchangeClosesChannelWith406() throws Exception {
    channel.exchangeDeclare(name, "fanout");
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind(queue, name, "");
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - exchange '" + name + "' in vhost '/' in use",
        EXCHANGE,
        DELETE,
        () -> channel.exchangeDelete(name, true));
  }

  @Test
  void deleteIfUnusedOfAnExchangeBoundOnlyAsDestinationSucceeds() throws Exception {
    // if-unused looks at the bindings whose source is the exchange.
    String source = uniqueName("src");
    channel.exchangeDeclare(name, "fanout");
    channel.exchangeDeclare(source, "fanout", false, true, null);
    channel.exchangeBind(name, source, "");
    channel.exchangeDelete(name, true);
    assertTrue(channel.isOpen());
  }

  @Test
  void deleteIfUnusedOfAnUnboundExchangeSucceeds() throws Exception {
    channel.exchangeDeclare(name, "fanout");
    channel.exchangeDelete(name, true);
    assertTrue(channel.isOpen());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "amq.direct",
        "amq.fanout",
        "amq.topic",
        "amq.headers",
        "amq.match",
        "amq.rabbitmq.trace",
        "amq.rabbitmq.log"
      })
  void deletingAPredeclaredExchangeClosesChannelWith403(String predeclared) {
    assertChannelClose(
        403,
        "ACCESS_REFUSED - deletion of system exchange '"
            + predeclared
            + "' in vhost '/' not allowed",
        EXCHANGE,
        DELETE,
        () -> channel.exchangeDelete(predeclared));
  }

  @Test
  void deletingTheDefaultExchangeClosesChannelWith403() {
    assertChannelClose(
        403,
        "ACCESS_REFUSED - operation not permitted on the default exchange",
        EXCHANGE,
        DELETE,
        () -> channel.exchangeDelete(""));
  }

  @Test
  void autoDeleteExchangeIsDeletedWhenItsLastBindingGoes() throws Exception {
    channel.exchangeDeclare(name, "fanout", false, true, null);
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind(queue, name, "");
    channel.queueUnbind(queue, name, "");
    assertChannelClose(
        404,
        "NOT_FOUND - no exchange '" + name + "' in vhost '/'",
        EXCHANGE,
        DECLARE,
        () -> channel.exchangeDeclarePassive(name));
  }

  @Test
  void autoDeleteExchangeSurvivesUntilItHadABinding() throws Exception {
    channel.exchangeDeclare(name, "fanout", false, true, null);
    assertNotNull(channel.exchangeDeclarePassive(name));
  }
}
