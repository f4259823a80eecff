package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The command-line clients of Debian's amqp-tools (built on rabbitmq-c) against the broker, with
 * the Java client on the other end: declare and delete queues, publish with properties, headers, an
 * exchange and a routing key, get, and consume a number of messages through a command.
 *
 * <p>Skipped when the tools are missing ({@code apt-get install amqp-tools}; {@code .ci/run}
 * installs them).
 */
class AmqpToolsIT extends MessagingSupport {

  private static final List<String> TOOLS =
      List.of(
          "amqp-declare-queue", "amqp-publish", "amqp-get", "amqp-consume", "amqp-delete-queue");
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(20);

  @BeforeAll
  static void amqpToolsAreInstalled() {
    for (String tool : TOOLS) {
      org.junit.jupiter.api.Assumptions.assumeTrue(
          Files.isExecutable(Path.of("/usr/bin", tool)),
          "/usr/bin/" + tool + " is missing: install amqp-tools to run these tests");
    }
  }

  @Test
  void declareQueueCreatesADurableQueueAndServerNamesAnEmptyName() throws Exception {
    String queue = uniqueName("cli-durable");

    assertEquals(List.of(queue), succeed("amqp-declare-queue", "-q", queue, "--durable"));
    List<String> serverNamed = succeed("amqp-declare-queue", "-q", "");

    Channel channel = newConnection().createChannel();
    try {
      channel.queueDeclare(queue, true, false, false, null);
      AMQP.Channel.Close close =
          channelError(channel, () -> channel.queueDeclare(queue, false, false, false, null));
      assertEquals(
          "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '"
              + queue
              + "' in vhost '/': received 'false' but current is 'true'",
          close.getReplyText());
      assertEquals(1, serverNamed.size(), serverNamed.toString());
      assertTrue(serverNamed.get(0).startsWith("amq.gen-"), serverNamed.get(0));
      newConnection().createChannel().queueDeclarePassive(serverNamed.get(0));
    } finally {
      Channel cleanup = newConnection().createChannel();
      cleanup.queueDelete(queue);
      cleanup.queueDelete(serverNamed.get(0));
    }
  }

  @Test
  void publishCarriesPersistenceContentTypeHeadersAndReplyToToTheJavaClient() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);

    succeed(
        "amqp-publish",
        "-r",
        queue,
        "--persistent",
        "-C",
        "text/plain",
        "-E",
        "utf-8",
        "-t",
        "replies",
        "-H",
        "trace: 42",
        "-H",
        "origin: cli",
        "-b",
        "héllo from the command line");

    GetResponse message = channel.basicGet(queue, true);
    assertNotNull(message, "the published message");
    assertEquals("héllo from the command line", body(message));
    assertEquals("", message.getEnvelope().getExchange());
    assertEquals(queue, message.getEnvelope().getRoutingKey());
    AMQP.BasicProperties properties = message.getProps();
    assertEquals(2, properties.getDeliveryMode(), "delivery mode (2 = persistent)");
    assertEquals("text/plain", properties.getContentType());
    assertEquals("utf-8", properties.getContentEncoding());
    assertEquals("replies", properties.getReplyTo());
    Map<String, Object> headers = properties.getHeaders();
    assertNotNull(headers, "headers");
    assertEquals("42", String.valueOf(headers.get("trace")));
    assertEquals("cli", String.valueOf(headers.get("origin")));
  }

  @Test
  void publishWithoutPersistentSendsATransientMessage() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);

    succeed("amqp-publish", "-r", queue, "-b", "transient");

    GetResponse message = channel.basicGet(queue, true);
    assertEquals("transient", body(message));
    Integer deliveryMode = message.getProps().getDeliveryMode();
    assertTrue(deliveryMode == null || deliveryMode == 1, "delivery mode " + deliveryMode);
  }

  @Test
  void publishToAnExchangeIsRoutedByItsRoutingKey() throws Exception {
    Channel channel = newConnection().createChannel();
    String exchange = uniqueName("cli-orders");
    channel.exchangeDeclare(exchange, "direct", false, true, null);
    String europe = declareQueue(channel);
    channel.queueBind(europe, exchange, "eu.orders");

    succeed("amqp-publish", "-e", exchange, "-r", "us.orders", "-b", "order 1");
    succeed("amqp-publish", "-e", exchange, "-r", "eu.orders", "-b", "order 2");

    GetResponse message = channel.basicGet(europe, true);
    assertEquals("order 2", body(message));
    assertEquals(exchange, message.getEnvelope().getExchange());
    assertEquals("eu.orders", message.getEnvelope().getRoutingKey());
    assertNull(channel.basicGet(europe, true), "only the eu order was routed here");
  }

  @Test
  void lineBufferedPublishSendsOneMessagePerLineOfStdin() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);

    ClientProcess.Result result =
        ClientProcess.run(
                tool("amqp-publish", "-r", queue, "-l"), "one\ntwo\nthree\n", TOOL_TIMEOUT)
            .assertSucceeded();

    assertEquals(List.of(), result.stdout());
    // each message keeps its line's end
    assertEquals(List.of("one\n", "two\n", "three\n"), nextBodies(deliveries, 3));
  }

  @Test
  void publishToAMissingExchangeFailsWith404() throws Exception {
    ClientProcess.Result result =
        ClientProcess.run(
            tool("amqp-publish", "-e", uniqueName("missing"), "-r", "k", "-b", "lost"),
            TOOL_TIMEOUT);

    assertNotEquals(0, result.exitCode());
    assertTrue(result.stderr().contains("404, message: NOT_FOUND - no exchange"), result.stderr());
  }

  @Test
  void getTakesMessagesPublishedByJavaOneAtATimeAndFailsOnAnEmptyQueue() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "first\n", "second\n");

    assertEquals(List.of("first"), succeed("amqp-get", "-q", queue));
    assertEquals(List.of("second"), succeed("amqp-get", "-q", queue));
    ClientProcess.Result empty = ClientProcess.run(tool("amqp-get", "-q", queue), TOOL_TIMEOUT);

    assertNotEquals(0, empty.exitCode(), "amqp-get on an empty queue");
    assertEquals(List.of(), empty.stdout());
    assertEquals(0, readyCount(queue));
  }

  @Test
  void consumeRunsTheCommandOncePerMessageAndAcksTheCountItWasGiven() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    AMQP.BasicProperties persistent =
        new AMQP.BasicProperties.Builder()
            .deliveryMode(2)
            .headers(Map.of("trace", "7"))
            .contentType("text/plain")
            .build();
    for (String body : List.of("alpha\n", "beta\n", "gamma\n")) {
      channel.basicPublish("", queue, persistent, body.getBytes(UTF_8));
    }

    assertEquals(List.of("alpha", "beta"), succeed("amqp-consume", "-q", queue, "-c", "2", "cat"));

    // acknowledged (not just delivered): only the third is left once the consumer is gone
    assertEquals(1, readyCount(queue));
    assertEquals(0, consumerCount(queue));
    assertEquals(
        List.of("gamma"), succeed("amqp-consume", "-q", queue, "-c", "1", "-p", "1", "cat"));
    assertEquals(0, readyCount(queue));
  }

  @Test
  void consumeDeclaresAnAutoDeleteQueueBoundToAnExchangeWithABindingKey() throws Exception {
    Channel channel = newConnection().createChannel();
    // amqp-consume declares a queue it binds itself, auto-delete (as RabbitMQ requires it then)
    String queue = uniqueName("cli-sensors");
    try (ClientProcess consumer =
        ClientProcess.start(
            tool(
                "amqp-consume",
                "-q",
                queue,
                "-e",
                "amq.topic",
                "-r",
                "sensor.#",
                "-c",
                "2",
                "cat"))) {
      // the first message is published until it is routed, which is when the binding exists
      publishWhenRouted(channel, "amq.topic", "sensor.kitchen.temperature", "21.5\n");
      // never routed: no binding matches it
      channel.basicPublish("amq.topic", "door.front", null, "open\n".getBytes(UTF_8));
      channel.basicPublish("", queue, null, "by name\n".getBytes(UTF_8));

      assertEquals(
          List.of("21.5", "by name"), consumer.finish(TOOL_TIMEOUT).assertSucceeded().stdout());
    }
    // its only consumer is gone, so the auto-delete queue is too
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> !queueExists(queue));
  }

  @Test
  void deleteQueueReportsTheMessagesItDroppedAndRefusesANonEmptyQueueWithIfEmpty()
      throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "one", "two");

    ClientProcess.Result ifEmpty =
        ClientProcess.run(tool("amqp-delete-queue", "-q", queue, "--if-empty"), TOOL_TIMEOUT);
    assertNotEquals(0, ifEmpty.exitCode());
    assertTrue(
        ifEmpty
            .stderr()
            .contains(
                "406, message: PRECONDITION_FAILED - queue '" + queue + "' in vhost '/' not empty"),
        ifEmpty.stderr());

    assertEquals(List.of("2"), succeed("amqp-delete-queue", "-q", queue));

    Channel check = newConnection().createChannel();
    AMQP.Channel.Close close = channelError(check, () -> check.queueDeclarePassive(queue));
    assertEquals("NOT_FOUND - no queue '" + queue + "' in vhost '/'", close.getReplyText());
  }

  /**
   * Publishes {@code body} with mandatory set and publisher confirms until the broker no longer
   * returns it: the way to wait for a binding that another client is making.
   */
  private static void publishWhenRouted(Channel channel, String exchange, String key, String body)
      throws Exception {
    channel.confirmSelect();
    AtomicBoolean returned = new AtomicBoolean();
    channel.addReturnListener(r -> returned.set(true));
    long deadline = System.nanoTime() + TOOL_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      returned.set(false);
      channel.basicPublish(exchange, key, true, null, body.getBytes(UTF_8));
      // a basic.return comes before the basic.ack of the same message
      channel.waitForConfirmsOrDie(TOOL_TIMEOUT.toMillis());
      if (!returned.get()) {
        return;
      }
      Thread.onSpinWait();
    }
    fail("no binding routed " + key + " on " + exchange + " within " + TOOL_TIMEOUT);
  }

  /** Runs {@code tool}, which must succeed, and returns its stdout. */
  private List<String> succeed(String tool, String... arguments) throws Exception {
    return ClientProcess.run(tool(tool, arguments), TOOL_TIMEOUT).assertSucceeded().stdout();
  }

  private List<String> tool(String tool, String... arguments) {
    List<String> command = new ArrayList<>();
    command.add("/usr/bin/" + tool);
    command.add("--url=" + brokerUri());
    command.addAll(List.of(arguments));
    return command;
  }

  private boolean queueExists(String queue) throws Exception {
    try (Connection connection = connectionFactory().newConnection()) {
      connection.createChannel().queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
