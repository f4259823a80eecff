package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * What the messaging tests (consume, get, ack, qos, confirms, transactions, RPC, channel lifecycle)
 * share: queues that are deleted after each test, consumers that hand deliveries to a {@link
 * BlockingQueue}, and the reading of the close method a server sends on an error.
 *
 * <p>Queues are declared non-exclusive and non-auto-delete so that tests can use them from several
 * connections and across consumer cancellations; {@link #deleteQueues()} removes them.
 */
abstract class MessagingSupport extends BrokerTestSupport {

  /** How long any single wait in these tests may take. */
  static final long TIMEOUT_SECONDS = 10;

  private final List<String> queuesToDelete = new ArrayList<>();

  /** An operation on a channel or connection that the server may answer with an error. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  @AfterEach
  void deleteQueues() throws Exception {
    if (queuesToDelete.isEmpty()) {
      return;
    }
    try (Connection connection = connectionFactory().newConnection()) {
      for (String queue : queuesToDelete) {
        try {
          connection.createChannel().queueDelete(queue);
        } catch (IOException ignored) {
          // a test may have deleted it already
        }
      }
    }
    queuesToDelete.clear();
  }

  /** Queue or consume arguments from name, value pairs. */
  static Map<String, Object> arguments(Object... pairs) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }

  /** Declares a fresh non-durable queue that lives until the end of the test. */
  String declareQueue(Channel channel) throws IOException {
    return declareQueue(channel, null);
  }

  String declareQueue(Channel channel, Map<String, Object> arguments) throws IOException {
    String queue = uniqueName("q");
    channel.queueDeclare(queue, false, false, false, arguments);
    queuesToDelete.add(queue);
    return queue;
  }

  /**
   * Declares a fresh durable queue (a quorum queue must be) that lives until the end of the test.
   */
  String declareDurableQueue(Channel channel, Map<String, Object> arguments) throws IOException {
    String queue = uniqueName("q");
    channel.queueDeclare(queue, true, false, false, arguments);
    queuesToDelete.add(queue);
    return queue;
  }

  static void publish(Channel channel, String queue, String body) throws IOException {
    channel.basicPublish("", queue, null, body.getBytes(UTF_8));
  }

  static void publish(Channel channel, String queue, String... bodies) throws IOException {
    for (String body : bodies) {
      publish(channel, queue, body);
    }
  }

  static String body(Delivery delivery) {
    return new String(delivery.getBody(), UTF_8);
  }

  static String body(GetResponse response) {
    return new String(response.getBody(), UTF_8);
  }

  /** Starts a consumer that puts each delivery on the returned queue. */
  static BlockingQueue<Delivery> consume(Channel channel, String queue, boolean autoAck)
      throws IOException {
    BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    channel.basicConsume(queue, autoAck, (tag, delivery) -> deliveries.add(delivery), tag -> {});
    return deliveries;
  }

  /** The next delivery, failing the test if none arrives in time. */
  static Delivery next(BlockingQueue<Delivery> deliveries) throws InterruptedException {
    Delivery delivery = deliveries.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(delivery, "no delivery within " + TIMEOUT_SECONDS + " s");
    return delivery;
  }

  /** The bodies of the next {@code count} deliveries, in arrival order. */
  static List<String> nextBodies(BlockingQueue<Delivery> deliveries, int count)
      throws InterruptedException {
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      bodies.add(body(next(deliveries)));
    }
    return bodies;
  }

  /** How many messages are ready in {@code queue}, as queue.declare-ok reports it. */
  int readyCount(String queue) throws Exception {
    try (Connection connection = connectionFactory().newConnection()) {
      return connection.createChannel().queueDeclarePassive(queue).getMessageCount();
    }
  }

  int consumerCount(String queue) throws Exception {
    try (Connection connection = connectionFactory().newConnection()) {
      return connection.createChannel().queueDeclarePassive(queue).getConsumerCount();
    }
  }

  /**
   * Runs {@code action}, which must make the server close {@code channel}, and returns the
   * channel.close the server sent. Works for synchronous methods, which fail at once, and for
   * asynchronous ones such as basic.publish or basic.ack, whose error arrives later.
   */
  static AMQP.Channel.Close channelError(Channel channel, Action action) throws Exception {
    ShutdownSignalException signal = shutdownOf(channel, action);
    assertFalse(signal.isHardError(), () -> "expected a channel error, got " + signal);
    assertFalse(signal.isInitiatedByApplication(), "the server should have closed the channel");
    return assertInstanceOf(AMQP.Channel.Close.class, signal.getReason());
  }

  /**
   * Runs {@code action} on {@code channel}, which must make the server close the whole connection,
   * and returns the connection.close the server sent.
   */
  static AMQP.Connection.Close connectionError(Channel channel, Action action) throws Exception {
    ShutdownSignalException signal = shutdownOf(channel, action);
    assertTrue(signal.isHardError(), () -> "expected a connection error, got " + signal);
    assertFalse(signal.isInitiatedByApplication(), "the server should have closed the connection");
    return assertInstanceOf(AMQP.Connection.Close.class, signal.getReason());
  }

  private static ShutdownSignalException shutdownOf(Channel channel, Action action)
      throws Exception {
    CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
    channel.addShutdownListener(closed::complete);
    try {
      action.run();
    } catch (IOException | ShutdownSignalException expected) {
      // synchronous methods report the close here; the listener has the same signal
    }
    return closed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  static void assertChannelClose(
      AMQP.Channel.Close close, int replyCode, String replyText, int classId, int methodId) {
    assertEquals(replyCode, close.getReplyCode(), "reply-code");
    assertEquals(replyText, close.getReplyText(), "reply-text");
    assertEquals(classId, close.getClassId(), "class-id");
    assertEquals(methodId, close.getMethodId(), "method-id");
  }

  static void assertConnectionClose(
      AMQP.Connection.Close close, int replyCode, String replyText, int classId, int methodId) {
    assertEquals(replyCode, close.getReplyCode(), "reply-code");
    assertEquals(replyText, close.getReplyText(), "reply-text");
    assertEquals(classId, close.getClassId(), "class-id");
    assertEquals(methodId, close.getMethodId(), "method-id");
  }

  // Class and method ids of AMQP 0-9-1, for the failing method a close names.
  static final int BASIC = 60;
  static final int BASIC_QOS = 10;
  static final int BASIC_CONSUME = 20;
  static final int BASIC_CANCEL = 30;
  static final int BASIC_PUBLISH = 40;
  static final int BASIC_GET = 70;
  static final int BASIC_ACK = 80;
  static final int BASIC_REJECT = 90;
  static final int BASIC_NACK = 120;
  static final int QUEUE = 50;
  static final int QUEUE_DECLARE = 10;
  static final int CONFIRM = 85;
  static final int CONFIRM_SELECT = 10;
  static final int TX = 90;
  static final int TX_SELECT = 10;
  static final int TX_COMMIT = 20;
  static final int TX_ROLLBACK = 30;
}
