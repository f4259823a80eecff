package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.rabbitmq.client.ConnectionFactory;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.testing.RabbitMqNode;
import io.warrenmq.jms.WarrenConnectionFactory;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * Starts one in-process broker on an ephemeral loopback port per test class, and hands out JMS
 * connections (network transport) and plain RabbitMQ Java client connections to it, closed after
 * each test. With {@code -Dwarren.test.uri=amqp://guest:guest@127.0.0.1:5673} the tests run against
 * another broker instead, such as a real RabbitMQ; {@code -Dwarren.test.uri=rabbitmq} starts a
 * private RabbitMQ node for them ({@link RabbitMqNode}).
 *
 * <p>The JMS connections' transport is {@link #jmsUri()}: the network by default; the {@code Vm…IT}
 * subclasses run the same tests over the in-VM transport (plain AMQP clients still connect over the
 * network, so interop tests mix both).
 */
public abstract class JmsTestSupport {
  protected static final long WAIT_MILLIS = 5_000;
  private static final String TARGET = System.getProperty("warren.test.uri");
  private static String EXTERNAL_URI;

  private static Broker broker;
  private static Path dataDir;
  private static final List<Path> oldDataDirs = new ArrayList<>();
  private final List<Connection> jmsConnections = new ArrayList<>();
  private final List<com.rabbitmq.client.Connection> amqpConnections = new ArrayList<>();

  @BeforeAll
  static void startBroker() throws Exception {
    EXTERNAL_URI = RabbitMqNode.externalUri(TARGET);
    dataDir = Files.createTempDirectory("warren-jms-it");
    if (EXTERNAL_URI == null) {
      broker = Broker.start(config());
    }
  }

  private static BrokerConfig config() {
    return BrokerConfig.defaults().withHost("127.0.0.1").withPort(0).withDataDir(dataDir);
  }

  @AfterAll
  static void stopBroker() throws IOException {
    if (broker != null) {
      broker.close();
      broker = null;
    }
    if (dataDir != null) {
      oldDataDirs.add(dataDir);
      dataDir = null;
    }
    for (Path dir : oldDataDirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    oldDataDirs.clear();
  }

  @AfterEach
  void closeConnections() {
    for (Connection c : jmsConnections) {
      try {
        c.close();
      } catch (JMSException | RuntimeException ignored) {
        // the test may have broken it on purpose
      }
    }
    jmsConnections.clear();
    for (com.rabbitmq.client.Connection c : amqpConnections) {
      if (c.isOpen()) {
        c.abort(5000);
      }
    }
    amqpConnections.clear();
  }

  /** Stops the in-process broker now, closing every connection with 320 CONNECTION_FORCED. */
  protected static void stopBrokerNow() {
    org.junit.jupiter.api.Assumptions.assumeTrue(broker != null, "needs the in-process broker");
    broker.close();
    broker = null;
  }

  /**
   * Replaces the in-process broker by a new one (same name, new port) started on a copy of its data
   * directory taken now: what a crash at this instant would leave on disk, since the store writes
   * only what clients do and the test is doing nothing. So a test can check what a confirm or a
   * commit-ok promised without killing the JVM — a graceful stop would commit everything first.
   * Every connection and link to the old broker is lost. Skips the test against an external broker.
   */
  protected static void restartFromCrashImage() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(broker != null, "needs the in-process broker");
    Path image = Files.createTempDirectory("warren-jms-it-crash");
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path from : (Iterable<Path>) files::iterator) {
        Path to = image.resolve(dataDir.relativize(from).toString());
        if (Files.isDirectory(from)) {
          Files.createDirectories(to);
        } else if (!from.getFileName().toString().endsWith(".lock")) {
          Files.copy(from, to);
        }
      }
    }
    broker.close();
    broker = null;
    oldDataDirs.add(dataDir);
    dataDir = image;
    broker = Broker.start(config());
  }

  /** The in-process broker (null against an external one). */
  protected static Broker broker() {
    return broker;
  }

  protected static String brokerUri() {
    return EXTERNAL_URI != null ? EXTERNAL_URI : "amqp://guest:guest@127.0.0.1:" + broker.port();
  }

  /** The URI JMS connections use; in-VM test classes override it. */
  protected String jmsUri() {
    return brokerUri();
  }

  /** The in-VM URI of the in-process broker; skips the test against an external broker. */
  protected static String vmUri() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        EXTERNAL_URI == null, "the in-VM transport needs the in-process broker");
    return "vm://guest:guest@" + BrokerConfig.DEFAULT_NAME;
  }

  protected WarrenConnectionFactory factory() {
    return new WarrenConnectionFactory(jmsUri());
  }

  /** A started JMS connection, closed after the test. */
  protected Connection connection() throws JMSException {
    Connection c = track(factory().createConnection());
    c.start();
    return c;
  }

  protected Connection track(Connection c) {
    jmsConnections.add(c);
    return c;
  }

  /** A plain AMQP connection from the RabbitMQ Java client, closed after the test. */
  protected com.rabbitmq.client.Connection amqpConnection() throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(URI.create(brokerUri()));
    f.setAutomaticRecoveryEnabled(false);
    f.setConnectionTimeout(5000);
    com.rabbitmq.client.Connection c = f.newConnection();
    amqpConnections.add(c);
    return c;
  }

  protected static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  /** Polls {@code condition} until it holds, failing after {@link #WAIT_MILLIS}. */
  protected static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  protected static <T> T notNull(T value, String what) {
    assertNotNull(value, what);
    return value;
  }
}
