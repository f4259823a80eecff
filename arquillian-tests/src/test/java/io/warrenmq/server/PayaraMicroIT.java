package io.warrenmq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The adapter and the sample application deployed on a real Payara Micro, launched as a process
 * ({@code java -jar payara-micro.jar --deploy warren-ra.rar --deploy warren-sample-app.war}), and
 * driven from outside: a plain AMQP client calls the RPC bean, HTTP triggers a JMS send, a failing
 * bean dead-letters. One server for the class; every wait is bounded.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PayaraMicroIT {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern AMQP_ADDRESS =
      Pattern.compile("WARRENRA0001 .* on amqp://([^:]+):(\\d+)");

  private static Process server;
  private static Path workDir;
  private static Path log;
  private static int httpPort;
  private static int amqpPort;
  private static Connection amqp;

  @BeforeAll
  static void startServer() throws Exception {
    workDir = Files.createTempDirectory("warren-payara");
    log = workDir.resolve("server.log");
    httpPort = freePort();
    int wantedAmqpPort = freePort();
    Path postBoot = workDir.resolve("post-boot.asadmin");
    Files.writeString(
        postBoot,
        "create-resource-adapter-config --property port="
            + wantedAmqpPort
            + ":dataDir=warren-data warren-ra\n");
    server =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                System.getProperty("payara.micro.jar"),
                "--nocluster",
                "--port",
                Integer.toString(httpPort),
                "--postbootcommandfile",
                postBoot.toString(),
                "--deploy",
                System.getProperty("warren.rar"),
                "--deploy",
                System.getProperty("warren.war"))
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!logText().contains("Payara Micro") || !logText().contains(" ready in ")) {
      if (!server.isAlive()) {
        fail("Payara Micro exited with " + server.exitValue() + ":\n" + tail());
      }
      if (System.nanoTime() > deadline) {
        fail("Payara Micro did not start within " + START_TIMEOUT + ":\n" + tail());
      }
      Thread.sleep(200);
    }
    Matcher m = AMQP_ADDRESS.matcher(logText());
    assertTrue(m.find(), "the adapter logs its AMQP address:\n" + tail());
    amqpPort = Integer.parseInt(m.group(2));
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(amqpPort);
    f.setAutomaticRecoveryEnabled(false);
    amqp = f.newConnection("payara-it");
  }

  @AfterAll
  static void stopServerIfStillRunning() throws Exception {
    if (server != null && server.isAlive()) {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String logText() throws IOException {
    return Files.readString(log, StandardCharsets.ISO_8859_1);
  }

  private static String tail() throws IOException {
    String text = logText();
    return text.substring(Math.max(0, text.length() - 6000));
  }

  @Test
  @Order(1)
  void plainAmqpClientGetsFibonacciFromTheRpcBeanForManyConcurrentCalls() throws Exception {
    Channel ch = amqp.createChannel();
    String replyQueue = ch.queueDeclare().getQueue();
    Map<String, String> answers = new ConcurrentHashMap<>();
    ch.basicConsume(
        replyQueue,
        true,
        (tag, d) ->
            answers.put(
                d.getProperties().getCorrelationId(),
                new String(d.getBody(), StandardCharsets.UTF_8)),
        tag -> {});
    Map<String, Integer> calls = new ConcurrentHashMap<>();
    int count = 100;
    for (int i = 0; i < count; i++) {
      String id = UUID.randomUUID().toString();
      int n = i % 40;
      calls.put(id, n);
      ch.basicPublish(
          "",
          "rpc_queue",
          new AMQP.BasicProperties.Builder()
              .correlationId(id)
              .replyTo(replyQueue)
              .contentType("text/plain")
              .build(),
          Integer.toString(n).getBytes(StandardCharsets.UTF_8));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (answers.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(count, answers.size(), "every call is answered");
    calls.forEach(
        (id, n) -> assertEquals(Long.toString(fib(n)), answers.get(id), "fib(" + n + ")"));
  }

  private static long fib(int n) {
    long a = 0;
    long b = 1;
    for (int i = 0; i < n; i++) {
      long next = a + b;
      a = b;
      b = next;
    }
    return a;
  }

  @Test
  @Order(2)
  void jmsSendFromTheApplicationReachesANativeAmqpConsumer() throws Exception {
    Channel ch = amqp.createChannel();
    String q = ch.queueDeclare().getQueue();
    ch.queueBind(q, "amq.topic", "news");
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    ch.basicConsume(
        q,
        true,
        (tag, d) -> received.add(new String(d.getBody(), StandardCharsets.UTF_8)),
        t -> {});
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/warren-sample-app/api/news"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString("rates are up"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(202, response.statusCode(), response.body());
    assertEquals("rates are up", received.poll(30, TimeUnit.SECONDS));
  }

  @Test
  @Order(3)
  void beanThatThrowsGetsTheMessageRedeliveredThenItIsDeadLettered() throws Exception {
    Channel ch = amqp.createChannel();
    ch.queueDeclare("poison_dlq", true, false, false, null);
    ch.basicPublish(
        "",
        "poison_queue",
        new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("text/plain").build(),
        "poison".getBytes(StandardCharsets.UTF_8));
    GetResponse dead = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (dead == null && System.nanoTime() < deadline) {
      dead = ch.basicGet("poison_dlq", true);
      if (dead == null) {
        Thread.sleep(100);
      }
    }
    assertNotNull(dead, "the message reaches the dead-letter queue");
    assertEquals("poison", new String(dead.getBody(), StandardCharsets.UTF_8));
    assertTrue(logText().contains("WARRENRA0021"), "the operator sees the dead-lettering");
  }

  @Test
  @Order(4)
  void serverShutdownStopsTheAdapterAndItsBrokerCleanly() throws Exception {
    Channel ch = amqp.createChannel();
    ch.queueDeclare("kept", true, false, false, null);
    ch.basicPublish(
        "",
        "kept",
        new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
        "survives".getBytes(StandardCharsets.UTF_8));
    ch.close();
    server.destroy(); // SIGTERM: Payara undeploys the application and stops the adapter
    assertTrue(server.waitFor(90, TimeUnit.SECONDS), "the server exits:\n" + tail());
    Broker broker =
        Broker.start(
            BrokerConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withDataDir(workDir.resolve("warren-data")));
    try {
      ConnectionFactory f = new ConnectionFactory();
      f.setHost("127.0.0.1");
      f.setPort(broker.port());
      try (Connection c = f.newConnection()) {
        assertEquals(
            1,
            c.createChannel().queueDeclarePassive("kept").getMessageCount(),
            "the persistent message is in the store");
      }
    } finally {
      broker.close();
    }
  }
}
