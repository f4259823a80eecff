package io.warrenmq.server;

import static io.warrenmq.server.ServerTests.freePort;
import static io.warrenmq.server.ServerTests.tail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * Three real Payara Micro processes (from Maven Central), each with the adapter and the sample
 * application, whose embedded brokers are the nodes {@code a@localhost}, {@code b@localhost} and
 * {@code c@localhost} of one cluster, as docs/clustering.md ("Inside application servers") says:
 * the adapter's {@code nodeName}, {@code clusterPort} and {@code join} come from a post-boot
 * command file, {@code create-resource-adapter-config} before the adapter's deployment. From
 * outside, over each server's own AMQP port: {@code rpc_queue} is one queue that the RPC beans of
 * all three servers consume, RPC calls sent to server A are answered, a queue declared and filled
 * through server A is consumed through server C, and the confirmed messages of a quorum queue
 * survive a SIGKILL of the server whose broker leads it.
 *
 * <p>Not checked here: the sample's news ({@code POST api/news}) across servers (each server's
 * {@code NewsArchive} gets a client id of its own here, see {@link #application}, as the sample's
 * fixed one can be active on one server of a cluster only).
 *
 * <p>The servers are launched as plain processes ({@code java -jar payara-micro.jar}), not through
 * Arquillian, whose Payara Micro container runs one process. Payara Micro's own clustering is off
 * ({@code --nocluster}); the brokers cluster among themselves on their cluster ports. A node joins
 * through A's cluster port when its adapter starts and fails at once if nobody answers there, and
 * two membership changes may not overlap, so each server is launched when the previous one's broker
 * is in the cluster: A, then B, then C (some 20 s each on two cores).
 *
 * <p>Every port is a free one picked at run time. Every wait is bounded (the time-outs of the
 * start-up and of the tests add up to four minutes; a run takes some two), and every process it
 * started is killed at the end (and by a shutdown hook, should this JVM be stopped first). A
 * failure message carries the tail of each server's output; the whole output is in {@code
 * target/payara-micro-cluster/NAME/server.log}. It runs in the default failsafe execution, without
 * Arquillian; elsewhere ({@code arquillian.launch} set) it is disabled, so that {@code -Dit.test}
 * selecting it runs it once.
 */
@DisabledIfSystemProperty(
    named = "arquillian.launch",
    matches = ".+",
    disabledReason = "launches its servers itself; runs in the default failsafe execution")
@ExtendWith(PayaraMicroClusterIT.ServerOutputOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PayaraMicroClusterIT {
  private static final Path DIR = Path.of("target", "payara-micro-cluster");
  private static final String APP = "warren-sample-app";

  /** Names the adapter {@code warren-ra}, which the application's resources refer to. */
  private static final String RAR = "warren-ra.rar";

  /**
   * How long one server may take from launch to its application deployed (15 to 20 s alone on two
   * cores).
   */
  private static final Duration START = Duration.ofSeconds(60);

  /** How long any other wait on the servers may take. */
  private static final Duration WAIT = Duration.ofSeconds(15);

  /**
   * What the log shows when the adapter or the application fails to start: the adapter's start (its
   * broker, its join), an MDB's activation, the MDB container, a deployment.
   */
  private static final List<String> START_FAILURES =
      List.of("WARRENRA0004", "RAR8501", "MDB00017", "Exception while loading the app");

  /**
   * An ejb-jar.xml that gives {@code NewsArchive}'s activation another client id, the one in place
   * of its {@code %s} (a descriptor's activation property overrides the annotation's).
   */
  private static final String NEWS_ARCHIVE_CLIENT_ID =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <ejb-jar xmlns="https://jakarta.ee/xml/ns/jakartaee"
               xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xsi:schemaLocation="https://jakarta.ee/xml/ns/jakartaee https://jakarta.ee/xml/ns/jakartaee/ejb-jar_4_0.xsd"
               version="4.0">
        <enterprise-beans>
          <message-driven>
            <ejb-name>NewsArchive</ejb-name>
            <activation-config>
              <activation-config-property>
                <activation-config-property-name>clientId</activation-config-property-name>
                <activation-config-property-value>%s</activation-config-property-value>
              </activation-config-property>
            </activation-config>
          </message-driven>
        </enterprise-beans>
      </ejb-jar>
      """;

  private static final Pattern READY =
      Pattern.compile("\\[timeMillis: (\\d+)][^\n]*Payara Micro [^\n]* ready in ");

  private static final Pattern MEMBERS = Pattern.compile("on cluster port \\d+; members \\[(.*)]");

  private static final List<Server> servers = Collections.synchronizedList(new ArrayList<>());
  private static final List<Connection> clients = Collections.synchronizedList(new ArrayList<>());
  private static final Thread killer = new Thread(PayaraMicroClusterIT::killServers);

  /**
   * A fresh directory with the adapter and the application under their usual names, then the three
   * servers, launched one after another; returns once every one has deployed the application.
   */
  @BeforeAll
  @Timeout(value = 140, unit = TimeUnit.SECONDS)
  static void startThreeServersAsOneCluster() throws Exception {
    Runtime.getRuntime().addShutdownHook(killer);
    deleteTree(DIR);
    Files.createDirectories(DIR);
    Files.copy(Path.of(System.getProperty("warren.rar")), DIR.resolve(RAR));

    Server a = new Server("a");
    Server b = new Server("b");
    Server c = new Server("c");
    String seed = "127.0.0.1:" + a.clusterPort;
    a.launch(null);
    a.awaitLog(inCluster(a), START, "A's broker starts the cluster");
    b.launch(seed);
    b.awaitLog(inCluster(b), START, "B's broker joins the cluster");
    c.launch(seed);
    c.awaitLog(inCluster(c), START, "C's broker joins the cluster");
    for (Server s : List.of(a, b, c)) {
      s.awaitReady();
      System.out.printf(
          "Payara Micro %s (AMQP %d, HTTP %d, cluster %d) started in %.1f s%n",
          s.name, s.amqpPort, s.httpPort, s.clusterPort, s.startTime.toMillis() / 1000.0);
    }
  }

  @AfterAll
  static void stopEverything() {
    killServers();
    Runtime.getRuntime().removeShutdownHook(killer);
  }

  // ---- the tests ------------------------------------------------------------------------------

  /**
   * The three brokers are one cluster, every server activated the sample's beans, and {@code
   * rpc_queue}, which the first server's beans declare, is one queue that the beans of all three
   * consume: whichever broker is asked, it has the 8 sessions of each server's {@code RpcServer} as
   * consumers (a consumer on another node than the queue's is a relay there, counted like any).
   */
  @Test
  @Order(1)
  @Timeout(value = 25, unit = TimeUnit.SECONDS)
  void threeServersBrokersAreOneClusterWithOneRpcQueueThatEveryServersBeansConsume()
      throws Exception {
    assertTrue(server("a").log().contains("node a@localhost starts a cluster"), "A starts it");
    assertEquals(
        Set.of("a@localhost", "b@localhost", "c@localhost"),
        members(server("c")),
        "C, the last to join, sees every server's broker");
    for (Server s : servers) {
      String log = s.log();
      for (String endpoint : List.of("queue rpc_queue", "queue poison_queue", "topic news")) {
        assertTrue(
            log.contains("WARRENRA0013 endpoint activated on " + endpoint),
            "server " + s.name + " activated its bean on " + endpoint);
      }
    }
    Map<String, Integer> expected = new TreeMap<>(Map.of("a", 24, "b", 24, "c", 24));
    Map<String, Integer> counted = new TreeMap<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!counted.equals(expected) && System.nanoTime() < deadline) {
      for (Server s : servers) {
        counted.put(s.name, consumers(s, "rpc_queue"));
      }
      Thread.sleep(200);
    }
    assertEquals(expected, counted, "rpc_queue's consumers, as each server's broker counts them");
  }

  @Test
  @Order(2)
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void rpcCallsSentToServerAAreAnsweredByTheClustersBeans() throws Exception {
    // Eight clients of four calls each, at once, replies checked against fib(n) and the
    // correlation id; the beans of all three servers consume rpc_queue, wherever it lives.
    assertEquals(32, RpcClients.callConcurrently(connect(server("a")), 8, 4), "calls answered");
  }

  @Test
  @Order(3)
  @Timeout(value = 15, unit = TimeUnit.SECONDS)
  void messagesPublishedToAQueueThroughServerAAreConsumedThroughServerC() throws Exception {
    String queue = "cluster-handoff";
    Channel onA = connect(server("a")).createChannel();
    onA.queueDeclare(queue, true, false, false, null);
    Connection toC = connect(server("c"));
    awaitQueueKnown(toC, queue);
    Channel onC = toC.createChannel();

    List<String> sent = new ArrayList<>();
    onA.confirmSelect();
    for (int i = 0; i < 50; i++) {
      String body = "handoff " + i;
      sent.add(body);
      onA.basicPublish("", queue, true, persistent(), body.getBytes(StandardCharsets.UTF_8));
    }
    onA.waitForConfirmsOrDie(WAIT.toMillis());

    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    onC.basicQos(10);
    onC.basicConsume(
        queue,
        false,
        (tag, d) -> {
          received.add(new String(d.getBody(), StandardCharsets.UTF_8));
          onC.basicAck(d.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});
    List<String> got = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (got.size() < sent.size() && System.nanoTime() < deadline) {
      String body = received.poll(100, TimeUnit.MILLISECONDS);
      if (body != null) {
        got.add(body);
      }
    }
    assertEquals(sent, got, "C's consumer gets A's queue in order");
  }

  /**
   * A durable quorum queue declared through A (its group on all three; the election decides which
   * member leads it), messages published through B with publisher confirms, then the server whose
   * broker leads the queue (its log says so) is killed (SIGKILL): the two others elect a new
   * leader, and every confirmed message is consumed through the surviving server that does not lead
   * the queue now, whose consumer follows the new leader.
   */
  @Test
  @Order(4)
  @Timeout(value = 40, unit = TimeUnit.SECONDS)
  void confirmedMessagesOfAQuorumQueueSurviveTheKillOfTheServerLeadingIt() throws Exception {
    String queue = "cluster-quorum";
    int count = 300;
    Channel onA = connect(server("a")).createChannel();
    onA.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "quorum"));

    Connection toB = connect(server("b"));
    awaitQueueKnown(toB, queue);
    Channel onB = toB.createChannel();
    List<String> returned = Collections.synchronizedList(new ArrayList<>());
    onB.addReturnListener(r -> returned.add(new String(r.getBody(), StandardCharsets.UTF_8)));
    onB.confirmSelect();
    Set<String> confirmed = new LinkedHashSet<>();
    for (int i = 0; i < count; i++) {
      String body = "quorum " + i;
      onB.basicPublish("", queue, true, persistent(), body.getBytes(StandardCharsets.UTF_8));
      confirmed.add(body);
    }
    onB.waitForConfirmsOrDie(WAIT.toMillis()); // throws unless every one was confirmed
    assertEquals(List.of(), returned, "no message was unroutable");

    Pattern ledBy =
        Pattern.compile(
            "quorum queue '" + queue + "' in vhost '/' is led by this node from term (\\d+)");
    Leader before = awaitLeader(ledBy, 0, servers);
    System.out.printf(
        "quorum queue %s led by %s from term %d; killing it%n",
        queue, before.server.name, before.term);
    Duration killed = before.server.kill();
    System.out.printf("server %s killed in %d ms%n", before.server.name, killed.toMillis());

    List<Server> survivors = servers.stream().filter(s -> s != before.server).toList();
    Leader after = awaitLeader(ledBy, before.term, survivors);
    System.out.printf(
        "quorum queue %s led by %s from term %d%n", queue, after.server.name, after.term);
    Server consumer = survivors.stream().filter(s -> s != after.server).findFirst().orElseThrow();
    Set<String> consumed = drain(consumer, queue, confirmed, WAIT);
    Set<String> lost = new LinkedHashSet<>(confirmed);
    lost.removeAll(consumed);
    assertEquals(
        Set.of(),
        lost,
        "confirmed messages not consumed through "
            + consumer.name
            + " ("
            + consumed.size()
            + " of "
            + count
            + " were)");
  }

  // ---- the servers ----------------------------------------------------------------------------

  /** One Payara Micro process: its ports, its directory (output, runtime, broker store). */
  private static final class Server {
    final String name;
    final String node;
    final int httpPort;
    final int amqpPort;
    final int clusterPort;
    final int gridPort;
    final Path dir;
    final Path output;
    volatile Process process;
    volatile long launched;
    volatile long launchedAt;
    volatile Duration startTime;
    volatile Connection amqp;

    Server(String name) throws IOException {
      this.name = name;
      this.node = name + "@localhost";
      this.httpPort = uniqueFreePort();
      this.amqpPort = uniqueFreePort();
      this.clusterPort = uniqueFreePort();
      this.gridPort = uniqueFreePort();
      this.dir = DIR.resolve(name);
      this.output = dir.resolve("server.log");
      servers.add(this);
    }

    /**
     * Writes the post-boot commands (the adapter's settings, then its deployment) and launches
     * Payara Micro with the application, on this JVM's Java, its output into {@link #output}. Paths
     * are relative to the module directory, the working directory of both JVMs (the post-boot
     * command parser splits at white space).
     */
    void launch(String join) throws IOException {
      Files.createDirectories(dir);
      String properties =
          "nodeName="
              + node
              + ":clusterPort="
              + clusterPort
              + ":port="
              + amqpPort
              + ":dataDir="
              + slashes(dir.resolve("warren-data"))
              + (join == null ? "" : ":join=" + join.replace(":", "\\:"));
      Path commands = dir.resolve("post-boot.asadmin");
      Files.writeString(
          commands,
          "create-resource-adapter-config --property "
              + properties
              + " warren-ra\n"
              + "deploy "
              + slashes(DIR.resolve(RAR))
              + "\n");
      List<String> command =
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx512m",
              // C1 only: the start-up takes some 40 % less CPU, with three servers on two cores
              "-XX:TieredStopAtLevel=1",
              "-Djava.net.preferIPv4Stack=true",
              "-jar",
              System.getProperty("payara.micro.jar"),
              "--nocluster",
              // Payara's data grid (Hazelcast) runs all the same, one per server: on loopback
              "--interfaces",
              "127.0.0.1",
              "--startport",
              Integer.toString(gridPort),
              "--port",
              Integer.toString(httpPort),
              "--rootdir",
              slashes(dir.resolve("payara-root")),
              "--postbootcommandfile",
              slashes(commands),
              "--deploy",
              slashes(application(this)));
      launched = System.nanoTime();
      launchedAt = System.currentTimeMillis();
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
    }

    /** Waits until the application is deployed, with the adapter's beans activated. */
    void awaitReady() throws InterruptedException {
      awaitLog(
          log ->
              log.contains("WARRENRA0013 endpoint activated on topic news")
                  && log.contains("Payara Micro ")
                  && log.contains(" ready in "),
          START.minus(Duration.ofNanos(System.nanoTime() - launched)),
          "server " + name + " deploys the application");
      // From the launch to the time stamp of Payara Micro's "ready" record.
      Matcher ready = READY.matcher(log());
      startTime =
          ready.find()
              ? Duration.ofMillis(Long.parseLong(ready.group(1)) - launchedAt)
              : Duration.ofNanos(System.nanoTime() - launched);
    }

    /** Waits until the output satisfies the condition; fails at once if the process ends. */
    void awaitLog(Predicate<String> condition, Duration wait, String what)
        throws InterruptedException {
      long deadline = System.nanoTime() + Math.max(0, wait.toNanos());
      String log;
      while (!condition.test(log = log())) {
        for (String failure : START_FAILURES) {
          if (log.contains(failure)) {
            throw new AssertionError(what + ": server " + name + " logs " + failure);
          }
        }
        if (!process.isAlive()) {
          throw new AssertionError(
              what + ": the process exited with " + process.exitValue() + " before that");
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("not within " + wait.toSeconds() + " s: " + what);
        }
        Thread.sleep(200);
      }
    }

    /** SIGKILL, and waits for the exit; returns how long that took. */
    Duration kill() throws InterruptedException {
      long start = System.nanoTime();
      Process p = process;
      if (p != null && p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          throw new AssertionError("server " + name + " (pid " + p.pid() + ") outlives SIGKILL");
        }
      }
      return Duration.ofNanos(System.nanoTime() - start);
    }

    /** The process's output so far, without the terminal colours Payara Micro writes. */
    String log() {
      try {
        return Files.exists(output)
            ? Files.readString(output, StandardCharsets.ISO_8859_1)
                .replaceAll("\u001B\\[[;\\d]*m", "")
            : "";
      } catch (IOException e) {
        return "(cannot read " + output + ": " + e + ")";
      }
    }

    /** What a failure message shows of this server: its state and the tail of its output. */
    String describe() {
      Process p = process;
      String state =
          p == null
              ? "not launched"
              : p.isAlive() ? "running, pid " + p.pid() : "exited with " + p.exitValue();
      return "==== server "
          + name
          + " ("
          + node
          + ", AMQP "
          + amqpPort
          + ", HTTP "
          + httpPort
          + ", cluster "
          + clusterPort
          + "; "
          + state
          + "), the end of "
          + output
          + ":\n"
          + tail(log());
    }
  }

  private static final Set<Integer> portsTaken = Collections.synchronizedSet(new HashSet<>());

  /** A free port not given to another server of this test yet. */
  private static int uniqueFreePort() throws IOException {
    int port = freePort();
    while (!portsTaken.add(port)) {
      port = freePort();
    }
    return port;
  }

  /**
   * The sample application for one server: the .war as ear/sample-app built it, under its usual
   * name (the context root), with a client id of this server's for {@code NewsArchive}. A JMS
   * client id is the broker's, so the whole cluster's (an exclusive queue, locked on every node):
   * with the sample's fixed {@code warren-sample} the bean activates on one server only, and the
   * second server's activation fails with WARRENRA0011 "client id 'warren-sample' is in use", and
   * with it the application's deployment. (An empty value does not take the id off: Payara keeps
   * the annotation's then.) Each server's bean thus has a durable subscription of its own.
   */
  private static Path application(Server s) throws IOException {
    Path war = s.dir.resolve(APP + ".war");
    Files.copy(Path.of(System.getProperty("warren.war")), war);
    try (FileSystem zip = FileSystems.newFileSystem(war)) {
      Files.writeString(
          zip.getPath("WEB-INF", "ejb-jar.xml"),
          NEWS_ARCHIVE_CLIENT_ID.formatted("warren-sample-" + s.name));
    }
    return war;
  }

  private static String slashes(Path p) {
    return p.toString().replace('\\', '/');
  }

  /** Whether the server's broker has started or joined the cluster (logged by ClusterNode). */
  private static Predicate<String> inCluster(Server s) {
    return log -> log.contains("node " + s.node + " ") && log.contains("on cluster port");
  }

  private static Set<String> members(Server s) {
    Matcher m = MEMBERS.matcher(s.log());
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    assertTrue(last != null, "server " + s.name + " logs the cluster's members");
    return Stream.of(last.split(",")).map(String::trim).collect(Collectors.toSet());
  }

  private static Server server(String name) {
    return servers.stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow();
  }

  private static Connection connect(Server s) throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(s.amqpPort);
    f.setAutomaticRecoveryEnabled(false);
    f.setConnectionTimeout((int) WAIT.toMillis());
    Connection c = f.newConnection("payara-micro-cluster-it-" + s.name);
    clients.add(c);
    return c;
  }

  /** The queue's consumers as the server's broker counts them (a passive declare). */
  private static int consumers(Server s, String queue) throws Exception {
    if (s.amqp == null) {
      s.amqp = connect(s);
    }
    Channel ch = s.amqp.createChannel();
    try {
      return ch.queueDeclarePassive(queue).getConsumerCount();
    } finally {
      ch.close();
    }
  }

  private static AMQP.BasicProperties persistent() {
    return new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("text/plain").build();
  }

  /**
   * Waits until the server the connection goes to knows the queue (a passive declare succeeds): it
   * applies a declaration made through another server a moment after that server answered.
   */
  private static void awaitQueueKnown(Connection c, String queue) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Channel ch = c.createChannel(); // a failed passive declare closes it
      try {
        ch.queueDeclarePassive(queue);
        ch.close();
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("queue " + queue + " unknown through " + c, e);
        }
        Thread.sleep(100);
      }
    }
  }

  private record Leader(Server server, long term) {}

  /** Waits until one of the servers logs that it leads the queue from a term after {@code term}. */
  private static Leader awaitLeader(Pattern ledBy, long term, List<Server> candidates)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Leader latest = null;
      for (Server s : candidates) {
        Matcher m = ledBy.matcher(s.log());
        while (m.find()) {
          long t = Long.parseLong(m.group(1));
          if (t > term && (latest == null || t > latest.term)) {
            latest = new Leader(s, t);
          }
        }
      }
      if (latest != null) {
        return latest;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no server of "
                + candidates.stream().map(s -> s.name).toList()
                + " logs that it leads the quorum queue from a term after "
                + term
                + " within "
                + WAIT.toSeconds()
                + " s");
      }
      Thread.sleep(200);
    }
  }

  /**
   * Consumes (manual acknowledgements) from the queue through the server until every expected body
   * has come or the wait is over, and returns the distinct bodies consumed. A consumer that is
   * cancelled or loses its channel (the queue's leader may be moving) subscribes again; a message
   * delivered twice (at least once across a failover) counts once.
   */
  private static Set<String> drain(Server s, String queue, Set<String> expected, Duration wait)
      throws Exception {
    Connection c = connect(s);
    Set<String> consumed = new LinkedHashSet<>();
    BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    AtomicBoolean cancelled = new AtomicBoolean();
    long deadline = System.nanoTime() + wait.toNanos();
    Channel ch = null;
    while (!consumed.containsAll(expected) && System.nanoTime() < deadline) {
      if (ch == null || !ch.isOpen() || cancelled.get()) {
        if (ch != null && ch.isOpen()) {
          ch.abort();
        }
        cancelled.set(false);
        try {
          ch = c.createChannel();
          ch.basicQos(100);
          ch.basicConsume(queue, false, (tag, d) -> deliveries.add(d), tag -> cancelled.set(true));
        } catch (IOException e) {
          Thread.sleep(200); // the queue's new leader may not be known here yet
          continue;
        }
      }
      Delivery d = deliveries.poll(100, TimeUnit.MILLISECONDS);
      if (d != null) {
        consumed.add(new String(d.getBody(), StandardCharsets.UTF_8));
        try {
          ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
        } catch (IOException | RuntimeException e) {
          // That channel is gone (its delivery tags with it): the message comes again.
        }
      }
    }
    return consumed;
  }

  // ---- clean-up -------------------------------------------------------------------------------

  /** Closes the clients and kills (SIGKILL) every server process still running. */
  private static void killServers() {
    synchronized (clients) {
      for (Connection c : clients) {
        if (c.isOpen()) {
          c.abort(2000);
        }
      }
    }
    synchronized (servers) {
      for (Server s : servers) {
        try {
          s.kill();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          Process p = s.process;
          if (p != null) {
            p.destroyForcibly();
          }
        } catch (AssertionError e) {
          System.err.println(e.getMessage());
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> old = Files.walk(dir)) {
        for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /**
   * Adds the state and the output's tail of every server to the message of a failure of a test or
   * of the start-up, so that the report shows what the servers said.
   */
  static final class ServerOutputOnFailure
      implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable t)
        throws Throwable {
      throw withServerOutput(t);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable t)
        throws Throwable {
      throw withServerOutput(t);
    }

    private static Throwable withServerOutput(Throwable t) {
      if (t instanceof TestAbortedException) {
        return t;
      }
      StringBuilder message = new StringBuilder(String.valueOf(t.getMessage()));
      synchronized (servers) {
        for (Server s : servers) {
          message.append("\n\n").append(s.describe());
        }
      }
      return new AssertionError(message.toString(), t);
    }
  }
}
