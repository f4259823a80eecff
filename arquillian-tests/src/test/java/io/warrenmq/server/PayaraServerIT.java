package io.warrenmq.server;

import static io.warrenmq.server.ServerTests.await;
import static io.warrenmq.server.ServerTests.freePort;
import static io.warrenmq.server.ServerTests.portOpen;
import static io.warrenmq.server.ServerTests.tail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A smoke test of {@code warren-sample.ear} (the adapter and the sample application in one archive)
 * on a real Payara Server from Maven Central, done the way the README says: a domain of its own
 * (created in {@code target/payara-server} with its ports moved to a port base), the adapter inside
 * the .ear configured by {@code asadmin create-resource-adapter-config} under the name Payara gives
 * it, {@code warren-sample#warren-ra}, then {@code asadmin deploy}. From outside, plain AMQP
 * clients call the RPC bean and HTTP triggers a JMS send to a native consumer; undeployment must
 * stop the broker and close its port, and the domain must stop cleanly.
 *
 * <p>The test runs {@code asadmin} itself rather than through an Arquillian container: the Payara
 * Server container available for Arquillian 1.10 (arquillian-payara-server-managed 2.x) is built
 * for Java EE 8 and Payara 5, and the domain and the adapter's configuration need {@code asadmin}
 * anyway. It runs in a failsafe execution of its own, which sets {@code payara.server.home}
 * (elsewhere it is disabled). Every wait is bounded, and the domain is stopped whatever happens.
 */
@EnabledIfSystemProperty(named = "payara.server.home", matches = ".+")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PayaraServerIT {
  private static final String DOMAIN = "warren";
  private static final String APP = "warren-sample";

  /** The name Payara Server gives the adapter inside the .ear: application#rar. */
  private static final String ADAPTER = APP + "#warren-ra";

  private static final Path DIR = Path.of("target", "payara-server").toAbsolutePath();
  private static final Path DOMAINS = DIR.resolve("domains");
  private static final Path LOG = DOMAINS.resolve(DOMAIN).resolve("logs").resolve("server.log");
  private static final int PORT_BASE = Integer.getInteger("payara.server.portbase");
  private static final int ADMIN_PORT = PORT_BASE + 48;
  private static final int HTTP_PORT = PORT_BASE + 80;
  private static final Pattern AMQP_ADDRESS =
      Pattern.compile("WARRENRA0001 .* on amqp://([^:]+):(\\d+)");
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static int amqpPort;
  private static Connection amqp;
  private static CompletableFuture<ShutdownSignalException> amqpClosed;

  /**
   * A fresh domain on the port base, started; the adapter configured with a free AMQP port and a
   * data directory in the domain; the .ear copied under its usual name, which names the adapter.
   */
  @BeforeAll
  static void createAndStartDomain() throws Exception {
    if (Files.exists(DIR)) {
      try (Stream<Path> old = Files.walk(DIR)) {
        for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(DIR);
    Files.copy(Path.of(System.getProperty("warren.ear")), DIR.resolve(APP + ".ear"));
    asadmin(
        Duration.ofSeconds(120),
        "create-domain",
        "--domaindir",
        DOMAINS.toString(),
        "--portbase",
        Integer.toString(PORT_BASE),
        "--nopassword",
        DOMAIN);
    asadmin(Duration.ofSeconds(180), "start-domain", "--domaindir", DOMAINS.toString(), DOMAIN);
    amqpPort = freePort();
    asadmin(
        Duration.ofSeconds(60),
        remote(
            "create-resource-adapter-config",
            "--property",
            "port=" + amqpPort + ":dataDir=${com.sun.aas.instanceRoot}/warren-data",
            ADAPTER));
  }

  @AfterAll
  static void stopDomainIfStillRunning() throws Exception {
    if (amqp != null && amqp.isOpen()) {
      amqp.abort();
    }
    if (portOpen(ADMIN_PORT)) {
      try {
        asadmin(Duration.ofSeconds(90), "stop-domain", "--domaindir", DOMAINS.toString(), DOMAIN);
      } catch (AssertionError e) {
        System.err.println("stop-domain failed: " + e.getMessage());
      }
    }
    // If the server still runs, it is this test's: its pid is in the domain's config.
    Path pid = DOMAINS.resolve(DOMAIN).resolve("config").resolve("pid");
    if (Files.exists(pid)) {
      Optional<ProcessHandle> server =
          ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()));
      if (server.isPresent() && server.get().isAlive()) {
        server.get().destroyForcibly();
        server.get().onExit().get(30, TimeUnit.SECONDS);
      }
    }
  }

  // ---- the tests ------------------------------------------------------------------------------

  @Test
  @Order(1)
  void earDeploysAndItsAdapterStartsOneBrokerOnTheConfiguredPort() throws Exception {
    asadmin(Duration.ofSeconds(180), remote("deploy", DIR.resolve(APP + ".ear").toString()));
    String log = awaitLog(l -> l.contains("WARRENRA0013 endpoint activated on queue rpc_queue"));
    Matcher m = AMQP_ADDRESS.matcher(log);
    assertTrue(m.find(), "the adapter logs its AMQP address:\n" + tail(log));
    assertEquals(amqpPort, Integer.parseInt(m.group(2)), "the port of the adapter's config");
    assertEquals(
        1,
        log.lines().filter(l -> l.contains("WARRENRA0001")).count(),
        "one adapter instance, one embedded broker (no instance per resource definition)");
    for (String endpoint : List.of("queue rpc_queue", "queue poison_queue", "topic news")) {
      assertTrue(
          log.contains("WARRENRA0013 endpoint activated on " + endpoint),
          endpoint + " has its bean:\n" + tail(log));
    }
    assertTrue(
        asadmin(Duration.ofSeconds(60), remote("list-applications")).contains(APP),
        "the .ear is deployed as " + APP);
    assertNoProblems(log);

    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(amqpPort);
    f.setAutomaticRecoveryEnabled(false);
    amqp = f.newConnection("payara-server-it");
    CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
    amqp.addShutdownListener(closed::complete);
    amqpClosed = closed;
  }

  @Test
  @Order(2)
  void plainAmqpClientsGetFibonacciFromTheRpcBeanConcurrently() throws Exception {
    assertEquals(20, RpcClients.callConcurrently(amqp, 4, 5), "every call is answered");
  }

  @Test
  @Order(3)
  void jmsSendFromTheApplicationReachesANativeAmqpConsumer() throws Exception {
    NewsCheck.postReachesNativeConsumer(
        amqp, URI.create("http://127.0.0.1:" + HTTP_PORT + "/warren-sample-app/api/news"), WAIT);
  }

  /**
   * Undeploying the .ear stops its beans, then the adapter: the broker closes the client's
   * connection (320, as RabbitMQ on shutdown) and its port.
   */
  @Test
  @Order(4)
  void undeployStopsTheBeansThenTheBrokerAndClosesItsPort() throws Exception {
    asadmin(Duration.ofSeconds(120), remote("undeploy", APP));
    ShutdownSignalException closed = amqpClosed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertFalse(closed.isInitiatedByApplication(), "the broker closed the connection");
    AMQP.Connection.Close reason = (AMQP.Connection.Close) closed.getReason();
    assertEquals(320, reason.getReplyCode(), reason.getReplyText());
    await(() -> !portOpen(amqpPort), "the AMQP port closes");
    String log = awaitLog(l -> l.contains("WARRENRA0005 embedded broker stopped"));
    int brokerStopped = log.indexOf("WARRENRA0005 embedded broker stopped");
    assertTrue(brokerStopped > 0, "the adapter stops its broker:\n" + tail(log));
    for (String endpoint : List.of("queue rpc_queue", "queue poison_queue", "topic news")) {
      int deactivated = log.indexOf("WARRENRA0015 endpoint deactivated on " + endpoint);
      assertTrue(
          deactivated > 0 && deactivated < brokerStopped,
          endpoint + " is deactivated before the broker stops:\n" + tail(log));
    }
    assertFalse(
        asadmin(Duration.ofSeconds(60), remote("list-applications")).contains(APP),
        "the .ear is gone");
    assertNoProblems(log);
  }

  @Test
  @Order(5)
  void domainStopsCleanly() throws Exception {
    asadmin(Duration.ofSeconds(90), "stop-domain", "--domaindir", DOMAINS.toString(), DOMAIN);
    assertFalse(portOpen(ADMIN_PORT), "the admin port is closed");
    assertFalse(portOpen(HTTP_PORT), "the HTTP port is closed");
    assertNoProblems(serverLog());
  }

  // ---- asadmin --------------------------------------------------------------------------------

  /** A command for the running domain's admin port. */
  private static String[] remote(String... command) {
    List<String> args =
        new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(ADMIN_PORT)));
    args.addAll(List.of(command));
    return args.toArray(String[]::new);
  }

  /**
   * Runs Payara's asadmin (not interactive, on this JVM's Java) and returns its output; fails if it
   * does not succeed within the time.
   */
  private static String asadmin(Duration timeout, String... args) throws Exception {
    Path home = Path.of(System.getProperty("payara.server.home"));
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin").resolve("asadmin").toString());
    command.add("--interactive=false");
    command.addAll(List.of(args));
    Path out = Files.createTempFile(DIR, "asadmin", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("AS_JAVA", System.getProperty("java.home"));
    Process p = pb.start();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("asadmin " + String.join(" ", args) + " takes over " + timeout + ":\n" + read(out));
    }
    String output = read(out);
    assertEquals(0, p.exitValue(), "asadmin " + String.join(" ", args) + ":\n" + output);
    return output;
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.ISO_8859_1);
  }

  // ---- the log --------------------------------------------------------------------------------

  /**
   * No SEVERE record at all, and no WARNING from the adapter, the connector runtime, the EJB
   * container or deployment. The one exception: SLF4J's notice that it has no binding, which it
   * prints to standard error when the adapter's libraries first log (Payara logs standard error as
   * SEVERE); the adapter logs through java.util.logging.
   */
  private static void assertNoProblems(String log) {
    List<String> problems =
        records(log).stream()
            .filter(
                r ->
                    r.contains("] [SEVERE] [")
                        || r.contains("] [WARNING] [")
                            && (r.contains("] [io.warrenmq")
                                || r.contains("] [javax.enterprise.resource.resourceadapter")
                                || r.contains("] [javax.enterprise.system.container.ejb")
                                || r.contains("] [javax.enterprise.system.tools.deployment")
                                || r.contains("] [javax.enterprise.system.core")))
            .filter(r -> !r.contains("[[\n  SLF4J: "))
            .collect(Collectors.toList());
    assertEquals(List.of(), problems, "problems in server.log");
  }

  /** The log's records: each starts with "[" and its time stamp on a line of its own. */
  private static List<String> records(String log) {
    List<String> records = new ArrayList<>();
    StringBuilder record = new StringBuilder();
    for (String line : log.split("\n", -1)) {
      if (line.startsWith("[") && line.length() > 1 && Character.isDigit(line.charAt(1))) {
        if (record.length() > 0) {
          records.add(record.toString());
        }
        record.setLength(0);
      }
      record.append(line).append('\n');
    }
    if (record.length() > 0) {
      records.add(record.toString());
    }
    return records;
  }

  /** The log once a condition holds, or when {@link #WAIT} is over. */
  private static String awaitLog(Predicate<String> condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String log = serverLog();
    while (!condition.test(log) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      log = serverLog();
    }
    return log;
  }

  private static String serverLog() throws IOException {
    return read(LOG);
  }

  // ---- helpers --------------------------------------------------------------------------------

}
