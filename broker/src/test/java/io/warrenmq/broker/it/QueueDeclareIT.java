package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.CloseAssertions.assertChannelClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** queue.declare (AMQP 0-9-1 §1.7.2.1), with RabbitMQ's reply texts. */
class QueueDeclareIT extends BrokerTestSupport {

  private static final int QUEUE = 50;
  private static final int DECLARE = 10;
  private static final int BIND = 20;
  private static final int PURGE = 30;
  private static final int DELETE = 40;
  private static final int BASIC = 60;
  private static final int CONSUME = 20;
  private static final int GET = 70;

  private static final String LOCKED =
      "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s' in vhost '/'. It"
          + " could be originally declared on another connection or the exclusive property value"
          + " does not match that of the original declaration.";

  private Connection connection;
  private Channel channel;
  private String name;

  @BeforeEach
  void open() throws Exception {
    connection = newConnection();
    channel = connection.createChannel();
    name = uniqueName("q");
  }

  @AfterEach
  void cleanUp() throws Exception {
    // On the declaring connection, which may own the queue exclusively.
    if (connection.isOpen()) {
      try (Channel c = connection.createChannel()) {
        c.queueDelete(name);
      }
    }
  }

  @Test
  void serverNamedQueueGetsAmqGenPrefix() throws Exception {
    AMQP.Queue.DeclareOk ok = channel.queueDeclare("", false, true, true, null);

    assertTrue(ok.getQueue().startsWith("amq.gen-"), ok.getQueue());
    assertEquals(0, ok.getMessageCount());
    assertEquals(0, ok.getConsumerCount());
  }

  @Test
  void serverNamedQueuesAreDistinct() throws Exception {
    String first = channel.queueDeclare().getQueue();
    String second = channel.queueDeclare().getQueue();

    assertTrue(!first.equals(second), first);
  }

  @Test
  void declareReturnsTheNameGiven() throws Exception {
    AMQP.Queue.DeclareOk ok = channel.queueDeclare(name, false, false, false, null);

    assertEquals(name, ok.getQueue());
  }

  @Test
  void declareOkCountsReadyMessagesAndConsumers() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    publishConfirmed(name, 3);

    Channel consuming = connection.createChannel();
    consuming.basicQos(1);
    CountDownLatch delivered = new CountDownLatch(1);
    consuming.basicConsume(
        name,
        false,
        new DefaultConsumer(consuming) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            delivered.countDown();
          }
        });
    assertTrue(delivered.await(10, TimeUnit.SECONDS), "first delivery");

    // The delivered, unacknowledged message is not ready, so it is not counted.
    AMQP.Queue.DeclareOk redeclared = channel.queueDeclare(name, false, false, false, null);
    assertEquals(2, redeclared.getMessageCount());
    assertEquals(1, redeclared.getConsumerCount());

    AMQP.Queue.DeclareOk passive = channel.queueDeclarePassive(name);
    assertEquals(2, passive.getMessageCount());
    assertEquals(1, passive.getConsumerCount());
  }

  @Test
  void redeclaringWithTheSamePropertiesSucceeds() throws Exception {
    Map<String, Object> args = Map.of("x-message-ttl", 60_000, "x-max-length", 10);
    channel.queueDeclare(name, true, false, false, args);
    channel.queueDeclare(name, true, false, false, args);
    assertTrue(channel.isOpen());
  }

  @Test
  void passiveDeclareOfMissingQueueClosesChannelWith404() {
    assertChannelClose(
        404,
        "NOT_FOUND - no queue '" + name + "' in vhost '/'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclarePassive(name));
  }

  @Test
  void redeclaringWithAnotherDurabilityClosesChannelWith406() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '"
            + name
            + "' in vhost '/': received 'true' but current is 'false'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, true, false, false, null));
  }

  @Test
  void aReplyTextLongerThanAShortStringIsCutTo252OctetsAndMarked() throws Exception {
    String longName = name + "-" + "n".repeat(250 - name.length());
    channel.queueDeclare(longName, false, false, false, null);
    String full =
        "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '"
            + longName
            + "' in vhost '/': received 'true' but current is 'false'";
    try {
      assertChannelClose(
          406,
          full.substring(0, 252) + "...",
          QUEUE,
          DECLARE,
          () -> channel.queueDeclare(longName, true, false, false, null));
    } finally {
      newConnection().createChannel().queueDelete(longName);
    }
  }

  @Test
  void redeclaringWithAnotherAutoDeleteClosesChannelWith406() throws Exception {
    channel.queueDeclare(name, false, false, true, null);
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '"
            + name
            + "' in vhost '/': received 'false' but current is 'true'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, null));
  }

  @Test
  void redeclaringANonExclusiveQueueAsExclusiveClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, false, false, null);
    assertChannelClose(
        405,
        LOCKED.formatted(name),
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, true, false, null));
  }

  @Test
  void redeclaringAnExclusiveQueueAsNonExclusiveClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    assertChannelClose(
        405,
        LOCKED.formatted(name),
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, null));
  }

  @Test
  void redeclaringWithAnotherMessageTtlClosesChannelWith406() throws Exception {
    channel.queueDeclare(name, false, false, false, Map.of("x-message-ttl", 1000));
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '"
            + name
            + "' in vhost '/': received '2000' but current is '1000'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, Map.of("x-message-ttl", 2000)));
  }

  @Test
  void redeclaringWithoutTheMessageTtlClosesChannelWith406() throws Exception {
    channel.queueDeclare(name, false, false, false, Map.of("x-message-ttl", 1000));
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '"
            + name
            + "' in vhost '/': received none but current is the value '1000' of type"
            + " 'signedint'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, null));
  }

  @Test
  void redeclaringWithAnotherMaxLengthClosesChannelWith406() throws Exception {
    channel.queueDeclare(name, false, false, false, Map.of("x-max-length", 10));
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '"
            + name
            + "' in vhost '/': received '20' but current is '10'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, Map.of("x-max-length", 20)));
  }

  @Test
  void redeclaringWithTheSameNumberInAnotherIntegerTypeSucceeds() throws Exception {
    // RabbitMQ compares integer arguments by value, whatever their width on the wire.
    channel.queueDeclare(name, false, false, false, Map.of("x-message-ttl", 1000));
    channel.queueDeclare(name, false, false, false, Map.of("x-message-ttl", 1000L));
    assertTrue(channel.isOpen());
  }

  @Test
  void redeclaringWithOtherUnknownArgumentsSucceeds() throws Exception {
    // RabbitMQ only compares the arguments it knows.
    channel.queueDeclare(name, false, false, false, Map.of("x-custom", "one"));
    channel.queueDeclare(name, false, false, false, Map.of("x-custom", "two"));
    channel.queueDeclare(name, false, false, false, null);
    assertTrue(channel.isOpen());
  }

  @Test
  void messageTtlAndMaxLengthArgumentsAreAccepted() throws Exception {
    Map<String, Object> args =
        Map.of("x-message-ttl", 60_000, "x-max-length", 100, "x-max-length-bytes", 1_000_000);
    AMQP.Queue.DeclareOk ok = channel.queueDeclare(name, false, false, false, args);
    assertEquals(name, ok.getQueue());
  }

  @Test
  void messageTtlOfTheWrongTypeClosesChannelWith406() {
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue '"
            + name
            + "' in vhost '/': \"expected integer, got longstr\"",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, Map.of("x-message-ttl", "soon")));
  }

  @Test
  void negativeMaxLengthClosesChannelWith406() {
    assertChannelClose(
        406,
        "PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '"
            + name
            + "' in vhost '/': {value_negative,-1}",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(name, false, false, false, Map.of("x-max-length", -1)));
  }

  @Test
  void declaringANameWithTheReservedAmqPrefixClosesChannelWith403() {
    String reserved = "amq." + name;
    assertChannelClose(
        403,
        "ACCESS_REFUSED - queue name '" + reserved + "' contains reserved prefix 'amq.*'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(reserved, false, false, false, null));
  }

  @Test
  void redeclaringAServerNamedQueueByItsNameClosesChannelWith403() throws Exception {
    // RabbitMQ checks the reserved prefix before it looks the queue up.
    String generated = channel.queueDeclare().getQueue();
    assertChannelClose(
        403,
        "ACCESS_REFUSED - queue name '" + generated + "' contains reserved prefix 'amq.*'",
        QUEUE,
        DECLARE,
        () -> channel.queueDeclare(generated, false, true, true, null));
  }

  @Test
  void passiveDeclareOfAServerNamedQueueByItsNameSucceeds() throws Exception {
    String generated = channel.queueDeclare().getQueue();
    assertEquals(generated, channel.queueDeclarePassive(generated).getQueue());
  }

  @Test
  void exclusiveQueueCanBeDeclaredAgainOnItsOwnConnection() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = connection.createChannel();
    AMQP.Queue.DeclareOk ok = other.queueDeclare(name, false, true, false, null);
    assertEquals(name, ok.getQueue());
    assertEquals(name, other.queueDeclarePassive(name).getQueue());
  }

  @Test
  void exclusiveQueueDeclaredFromAnotherConnectionClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    assertChannelClose(
        405,
        LOCKED.formatted(name),
        QUEUE,
        DECLARE,
        () -> other.queueDeclare(name, false, true, false, null));
  }

  @Test
  void exclusiveQueuePassivelyDeclaredFromAnotherConnectionClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    assertChannelClose(
        405, LOCKED.formatted(name), QUEUE, DECLARE, () -> other.queueDeclarePassive(name));
  }

  @Test
  void exclusiveQueueConsumedFromAnotherConnectionClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    assertChannelClose(
        405,
        LOCKED.formatted(name),
        BASIC,
        CONSUME,
        () -> other.basicConsume(name, true, new DefaultConsumer(other)));
  }

  @Test
  void exclusiveQueueReadWithGetFromAnotherConnectionClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    assertChannelClose(405, LOCKED.formatted(name), BASIC, GET, () -> other.basicGet(name, true));
  }

  @Test
  void exclusiveQueueBoundFromAnotherConnectionClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    assertChannelClose(
        405, LOCKED.formatted(name), QUEUE, BIND, () -> other.queueBind(name, "amq.direct", name));
  }

  @Test
  void exclusiveQueuePurgedFromAnotherConnectionClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    assertChannelClose(405, LOCKED.formatted(name), QUEUE, PURGE, () -> other.queuePurge(name));
  }

  @Test
  void exclusiveQueueDeletedFromAnotherConnectionClosesChannelWith405() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    assertChannelClose(405, LOCKED.formatted(name), QUEUE, DELETE, () -> other.queueDelete(name));
  }

  @Test
  void anotherConnectionMayPublishToAnExclusiveQueue() throws Exception {
    channel.queueDeclare(name, false, true, false, null);
    Channel other = newConnection().createChannel();
    other.confirmSelect();
    other.basicPublish("", name, true, null, "hello".getBytes(StandardCharsets.UTF_8));
    other.waitForConfirmsOrDie(10_000);

    GetResponse response = channel.basicGet(name, true);
    assertEquals("hello", new String(response.getBody(), StandardCharsets.UTF_8));
  }

  private void publishConfirmed(String queue, int count) throws Exception {
    try (Channel publisher = connection.createChannel()) {
      publisher.confirmSelect();
      for (int i = 0; i < count; i++) {
        publisher.basicPublish(
            "", queue, MessageProperties.MINIMAL_BASIC, ("m" + i).getBytes(StandardCharsets.UTF_8));
      }
      publisher.waitForConfirmsOrDie(10_000);
    }
  }
}
