package io.warrenmq.server;

import static io.warrenmq.server.RpcClients.fib;
import static io.warrenmq.server.ServerTests.await;
import static io.warrenmq.server.ServerTests.freePort;
import static io.warrenmq.server.ServerTests.portOpen;
import static io.warrenmq.server.ServerTests.tail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The adapter and the sample application on a real Payara Micro (from Maven Central) through
 * Arquillian, driven from outside: a plain AMQP client calls the RPC bean, HTTP triggers a JMS
 * send, a failing bean dead-letters, a durable subscriber keeps its news across a redeployment, and
 * undeployment stops the adapter and its broker cleanly.
 *
 * <p>Payara Micro takes no .ear: the adapter and the .war are deployed separately, the adapter
 * first. The container (qualifier "payara-micro" in arquillian.xml) runs one Payara Micro process
 * per deployment of the .war and stops it on undeployment, so the adapter comes from the post-boot
 * command file that {@link #deploy} writes before each deployment: it configures the adapter (a
 * free AMQP port, the data directory) and deploys {@code warren-ra.rar}, both before Payara Micro
 * deploys the .war. Redeploying is therefore a new process on the same data directory, and
 * undeploying stops the adapter, as undeploying the .rar would. The server is started twice.
 *
 * <p>It runs in a failsafe execution of its own, with {@code -Darquillian.launch=payara-micro} and
 * without WildFly's container adapter (Arquillian takes one adapter per class path); elsewhere it
 * is disabled. Paths are relative to the module directory, the working directory of this test and
 * of the Payara Micro processes. Every wait is bounded.
 */
@ExtendWith(ArquillianExtension.class)
@EnabledIfSystemProperty(named = "arquillian.launch", matches = "payara-micro")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PayaraMicroArquillianIT {
  private static final String CONTAINER = "payara-micro";
  private static final String APP = "warren-sample-app";

  /** Names the adapter {@code warren-ra}, which the application's resources refer to. */
  private static final String RAR = "warren-ra.rar";

  private static final Path DIR = Path.of("target", "payara-micro");
  private static final String DATA_DIR = "target/payara-micro/warren-data";
  private static final Pattern AMQP_ADDRESS =
      Pattern.compile("WARRENRA0001 .* on amqp://([^:]+):(\\d+)");
  private static final String ARCHIVE_QUEUE = "news_archive";
  private static final String SUBSCRIPTION_QUEUE = "jms.shared-durable.warren-sample.news-archive";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static int starts;
  private static int amqpPort;
  private static Connection amqp;
  private static CompletableFuture<ShutdownSignalException> amqpClosed;

  @ArquillianResource private Deployer deployer;

  /** The .war as ear/sample-app built it, under its usual name (the context root). */
  @Deployment(name = APP, managed = false, testable = false)
  @TargetsContainer(CONTAINER)
  static WebArchive app() {
    return ShrinkWrap.create(ZipImporter.class, APP + ".war")
        .importFrom(new File(System.getProperty("warren.war")))
        .as(WebArchive.class);
  }

  /** A fresh directory with the adapter and the log manager class of the server's JVM. */
  @BeforeAll
  static void prepareDirectory() throws IOException {
    if (Files.exists(DIR)) {
      try (Stream<Path> old = Files.walk(DIR)) {
        for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(DIR);
    Files.copy(Path.of(System.getProperty("warren.rar")), DIR.resolve(RAR));
    String logManager = ShutdownLoggingLogManager.class.getName().replace('.', '/') + ".class";
    Path target = DIR.resolve("jul").resolve(logManager);
    Files.createDirectories(target.getParent());
    try (InputStream in =
        ShutdownLoggingLogManager.class.getClassLoader().getResourceAsStream(logManager)) {
      Files.copy(in, target);
    }
  }

  @AfterAll
  static void stopServerIfStillRunning() throws IOException {
    if (amqp != null && amqp.isOpen()) {
      amqp.abort();
    }
    PayaraMicroProcesses.stopIfRunning();
  }

  // ---- the tests ------------------------------------------------------------------------------

  @Test
  @Order(1)
  void adapterThenApplicationDeployAndTheBrokerListensOnTheConfiguredPort() throws Exception {
    deploy();
    String log = log();
    Matcher m = AMQP_ADDRESS.matcher(log);
    assertTrue(m.find(), "the adapter logs its AMQP address:\n" + tail(log));
    assertEquals(amqpPort, Integer.parseInt(m.group(2)), "the port of the post-boot command");
    for (String endpoint : List.of("queue rpc_queue", "queue poison_queue", "topic news")) {
      assertTrue(
          log.contains("WARRENRA0013 endpoint activated on " + endpoint),
          endpoint + " has its bean:\n" + tail(log));
    }
    assertTrue(
        log.indexOf("WARRENRA0001") < log.indexOf("WARRENRA0013"),
        "the adapter is up before the application's beans activate");
  }

  @Test
  @Order(2)
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
    await(() -> answers.size() >= count, "every call is answered: " + answers.size());
    assertEquals(count, answers.size(), "one answer per call");
    calls.forEach(
        (id, n) -> assertEquals(Long.toString(fib(n)), answers.get(id), "fib(" + n + ")"));
    ch.close();
  }

  @Test
  @Order(3)
  void jmsSendFromTheApplicationReachesANativeAmqpConsumer(
      @ArquillianResource @OperateOnDeployment(APP) URL app) throws Exception {
    assertEquals("/" + APP + "/", app.getPath(), "the context root Payara Micro reports");
    Channel ch = amqp.createChannel();
    String q = ch.queueDeclare().getQueue();
    ch.queueBind(q, "amq.topic", "news");
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    ch.basicConsume(
        q,
        true,
        (tag, d) -> received.add(new String(d.getBody(), StandardCharsets.UTF_8)),
        t -> {});
    postNews(app, "rates are up");
    assertEquals("rates are up", received.poll(30, TimeUnit.SECONDS));
    ch.close();
  }

  @Test
  @Order(4)
  void beanThatThrowsGetsTheMessageRedeliveredThenItIsDeadLettered() throws Exception {
    Channel ch = amqp.createChannel();
    ch.queueDeclare("poison_dlq", true, false, false, null);
    ch.basicPublish(
        "",
        "poison_queue",
        new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("text/plain").build(),
        "poison".getBytes(StandardCharsets.UTF_8));
    GetResponse[] dead = new GetResponse[1];
    await(
        () -> (dead[0] = basicGet(ch, "poison_dlq")) != null,
        "the message reaches the dead-letter queue");
    assertEquals("poison", new String(dead[0].getBody(), StandardCharsets.UTF_8));
    // logged just after the move
    await(
        () -> log().contains("from queue poison_queue failed 3 deliveries; moved to dead-letter"),
        "the operator sees the dead-lettering (WARRENRA0021)");
    ch.close();
  }

  /**
   * NewsArchive is a durable subscriber of topic {@code news}. News published while the application
   * is undeployed (the Payara Micro process is gone, so they are published over AMQP to a broker
   * opened on the same store) wait in its subscription and are archived after the redeployment.
   */
  @Test
  @Order(5)
  void durableSubscriptionBeanGetsTheNewsPublishedWhileItWasUndeployed(
      @ArquillianResource @OperateOnDeployment(APP) URL app) throws Exception {
    Channel ch = amqp.createChannel();
    ch.queueDeclare(ARCHIVE_QUEUE, true, false, false, null);
    ch.queuePurge(ARCHIVE_QUEUE);
    postNews(app, "archive 1");
    assertEquals(List.of("archive 1"), archived(ch, 1), "the bean archives what it receives");
    ch.close();
    assertEquals(0, subscriptionBacklog(amqp), "the bean's durable subscription is drained");

    String stopped = undeploy();
    assertTrue(
        stopped.contains("WARRENRA0015 endpoint deactivated on topic news"),
        "the subscriber is gone:\n" + tail(stopped));

    List<String> whileAway = List.of("archive 2", "archive 3", "archive 4");
    withStore(
        c -> {
          Channel s = c.createChannel();
          s.confirmSelect();
          for (String text : whileAway) {
            s.basicPublish(
                "amq.topic",
                "news",
                new AMQP.BasicProperties.Builder()
                    .deliveryMode(2)
                    .contentType("text/plain")
                    .build(),
                text.getBytes(StandardCharsets.UTF_8));
          }
          s.waitForConfirmsOrDie(10_000);
          assertEquals(
              whileAway.size(),
              subscriptionBacklog(c),
              "the durable subscription keeps the news while its bean is away");
        });

    deploy();
    Channel again = amqp.createChannel();
    assertEquals(whileAway, archived(again, whileAway.size()), "archived after the redeployment");
    again.close();
  }

  /**
   * Undeploying stops Payara Micro, which stops the adapter: its beans are deactivated, then its
   * broker closes the client connections (320, as RabbitMQ does on shutdown) and its port, and a
   * persistent message published before is in the store.
   */
  @Test
  @Order(6)
  void undeployStopsTheAdapterAndItsBrokerCleanly(
      @ArquillianResource @OperateOnDeployment(APP) URL app) throws Exception {
    postNews(app, "archive 5"); // the redeployed application works as before
    Channel ch = amqp.createChannel();
    assertEquals(List.of("archive 5"), archived(ch, 1), "the redeployed bean archives new news");
    ch.queueDeclare("kept", true, false, false, null);
    ch.basicPublish(
        "",
        "kept",
        new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
        "survives".getBytes(StandardCharsets.UTF_8));
    ch.close();

    String log = undeploy();
    int brokerStopped = log.indexOf("WARRENRA0005 embedded broker stopped");
    assertTrue(brokerStopped > 0, "the adapter stops its broker:\n" + tail(log));
    for (String endpoint : List.of("queue rpc_queue", "queue poison_queue", "topic news")) {
      int deactivated = log.indexOf("WARRENRA0015 endpoint deactivated on " + endpoint);
      assertTrue(
          deactivated > 0 && deactivated < brokerStopped,
          endpoint + " is deactivated before the broker stops:\n" + tail(log));
    }
    withStore(
        c -> {
          Channel s = c.createChannel();
          assertEquals(
              1, s.queueDeclarePassive("kept").getMessageCount(), "the persistent message is kept");
          assertEquals(
              "survives", new String(basicGet(s, "kept").getBody(), StandardCharsets.UTF_8));
        });
  }

  // ---- the server ---------------------------------------------------------------------------

  /**
   * Writes the post-boot commands (a free AMQP port for the adapter, the shared data directory,
   * then the adapter's deployment), deploys the application, and connects to the broker.
   */
  private void deploy() throws Exception {
    amqpPort = freePort();
    Files.writeString(
        DIR.resolve("post-boot.asadmin"),
        "create-resource-adapter-config --property port="
            + amqpPort
            + ":dataDir="
            + DATA_DIR
            + " warren-ra\n"
            + "deploy target/payara-micro/"
            + RAR
            + "\n");
    starts++;
    deployer.deploy(APP); // returns once Payara Micro reports the deployment
    await(() -> portOpen(amqpPort), "the broker listens on " + amqpPort);
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(amqpPort);
    f.setAutomaticRecoveryEnabled(false);
    amqp = f.newConnection("payara-arquillian-it");
    CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
    amqp.addShutdownListener(closed::complete);
    amqpClosed = closed;
  }

  /**
   * Undeploys the application, which stops Payara Micro ({@link PayaraMicroProcesses} waits for the
   * exit), and checks that the broker went down in order: the client connection closed by the
   * broker with 320 CONNECTION_FORCED, the port closed, the stop logged. The log of this run is
   * then set aside, so that {@link #log} shows the next run's only.
   *
   * @return the log of the stopped server
   */
  private String undeploy() throws Exception {
    deployer.undeploy(APP);
    String stop = PayaraMicroProcesses.lastStop();
    assertTrue(stop.startsWith("exited"), "Payara Micro stops by itself: " + stop);
    ShutdownSignalException closed = amqpClosed.get(10, TimeUnit.SECONDS);
    assertFalse(closed.isInitiatedByApplication(), "the broker closed the connection");
    AMQP.Connection.Close reason = (AMQP.Connection.Close) closed.getReason();
    assertEquals(320, reason.getReplyCode(), reason.getReplyText());
    assertFalse(portOpen(amqpPort), "the AMQP port is closed");
    String log = log();
    assertTrue(log.contains("WARRENRA0005 embedded broker stopped"), "stop logged:\n" + tail(log));
    try (Stream<Path> logs = logFiles()) {
      for (Path p : logs.toList()) {
        Files.move(
            p,
            DIR.resolve("run-" + starts + "-" + p.getFileName()),
            StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return log;
  }

  /** The broker's store with the server stopped, through a broker of this JVM on it. */
  private static void withStore(AmqpWork work) throws Exception {
    Broker broker =
        Broker.start(
            BrokerConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withDataDir(Path.of(DATA_DIR)));
    try {
      ConnectionFactory f = new ConnectionFactory();
      f.setHost("127.0.0.1");
      f.setPort(broker.port());
      f.setAutomaticRecoveryEnabled(false);
      try (Connection c = f.newConnection("store-check")) {
        work.run(c);
      }
    } finally {
      broker.close();
    }
  }

  private interface AmqpWork {
    void run(Connection c) throws Exception;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * POSTs to the news resource at the port and context root Arquillian reports, on loopback: the
   * reported host is the machine's outward address.
   */
  private static void postNews(URL app, String text) throws Exception {
    URI uri =
        new URI("http", null, "127.0.0.1", app.getPort(), app.getPath() + "api/news", null, null);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString(text))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(202, response.statusCode(), response.body());
  }

  /**
   * Takes {@code count} messages from the archive queue, waiting for each at most {@link #WAIT}.
   */
  private static List<String> archived(Channel ch, int count) throws Exception {
    List<String> texts = new ArrayList<>();
    while (texts.size() < count) {
      GetResponse[] got = new GetResponse[1];
      await(
          () -> (got[0] = basicGet(ch, ARCHIVE_QUEUE)) != null,
          "archived so far: " + texts + ", " + count + " expected");
      texts.add(new String(got[0].getBody(), StandardCharsets.UTF_8));
    }
    texts.sort(Comparator.naturalOrder());
    return texts;
  }

  /** The messages waiting in NewsArchive's durable subscription queue, which must exist. */
  private static int subscriptionBacklog(Connection c) throws IOException, TimeoutException {
    Channel ch = c.createChannel(); // a failed passive declare closes it
    try {
      return ch.queueDeclarePassive(SUBSCRIPTION_QUEUE).getMessageCount();
    } catch (IOException e) {
      throw new AssertionError("no durable subscription queue " + SUBSCRIPTION_QUEUE, e);
    } finally {
      if (ch.isOpen()) {
        ch.close();
      }
    }
  }

  private static GetResponse basicGet(Channel ch, String queue) {
    try {
      return ch.basicGet(queue, true);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The log files of the running (or last stopped) server: --logToFile writes server.log.0. */
  private static Stream<Path> logFiles() throws IOException {
    return Files.list(DIR)
        .filter(p -> p.getFileName().toString().startsWith("server.log"))
        .filter(p -> !p.getFileName().toString().endsWith(".lck"))
        .sorted();
  }

  /** The running (or last stopped) server's log. */
  private static String log() {
    StringBuilder text = new StringBuilder();
    try (Stream<Path> logs = logFiles()) {
      for (Path p : logs.toList()) {
        text.append(Files.readString(p, StandardCharsets.ISO_8859_1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }
}
