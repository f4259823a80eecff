package io.warrenmq.broker.it;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.testing.RabbitMqNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * Starts one in-process broker on an ephemeral loopback port for a test class, and gives tests
 * connections to it from the official RabbitMQ Java client.
 *
 * <p>With {@code -Dwarren.test.uri=amqp://guest:guest@127.0.0.1:5673} the same tests run against
 * another broker instead, such as a real RabbitMQ, to check that they describe RabbitMQ's
 * behaviour; {@code -Dwarren.test.uri=rabbitmq} starts a private RabbitMQ node for them (see {@link
 * RabbitMqNode}). Tests of WarrenMQ-only settings call {@link #assumeInProcess()}.
 */
public abstract class BrokerTestSupport {

  private static final String TARGET = System.getProperty("warren.test.uri");
  private static String EXTERNAL_URI;

  private static Broker broker;
  private static Path dataDir;
  private final List<Connection> connections = new ArrayList<>();

  /**
   * The configuration a test class's broker starts with: loopback, an ephemeral port, and a data
   * directory of the class's own (kept across {@link #restartWith} so that restarts recover).
   */
  protected static BrokerConfig config() {
    return BrokerConfig.defaults().withHost("127.0.0.1").withPort(0).withDataDir(dataDir);
  }

  @BeforeAll
  static void startBroker() throws Exception {
    EXTERNAL_URI = RabbitMqNode.externalUri(TARGET);
    dataDir = Files.createTempDirectory("warren-it");
    if (EXTERNAL_URI == null) {
      broker = Broker.start(config());
    }
  }

  @AfterAll
  static void stopBroker() throws IOException {
    if (broker != null) {
      broker.close();
      broker = null;
    }
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      dataDir = null;
    }
  }

  /** Stops the broker without deleting its data directory, for restart tests. */
  protected static void stopOnly() {
    if (broker != null) {
      broker.close();
      broker = null;
    }
  }

  /** The data directory of this class's broker. */
  protected static Path dataDir() {
    return dataDir;
  }

  @AfterEach
  void closeConnections() {
    for (Connection c : connections) {
      try {
        if (c.isOpen()) {
          c.abort(5000);
        }
      } catch (RuntimeException ignored) {
        // the test may have closed it already
      }
    }
    connections.clear();
  }

  /** Starts a broker of this class's own with {@code config}, replacing the default one. */
  protected static void restartWith(BrokerConfig config) throws Exception {
    stopOnly();
    broker = Broker.start(config);
  }

  /** The in-process broker, or {@code null} when the tests run against an external one. */
  protected static Broker broker() {
    return broker;
  }

  protected static boolean external() {
    return EXTERNAL_URI != null;
  }

  protected static void assumeInProcess() {
    org.junit.jupiter.api.Assumptions.assumeFalse(
        external(), "checks a WarrenMQ setting, not RabbitMQ behaviour");
  }

  /** A factory for guest on the broker under test, with automatic recovery off. */
  protected ConnectionFactory connectionFactory() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    if (EXTERNAL_URI != null) {
      factory.setUri(URI.create(EXTERNAL_URI));
    } else {
      factory.setHost("127.0.0.1");
      factory.setPort(broker.port());
    }
    factory.setAutomaticRecoveryEnabled(false);
    factory.setConnectionTimeout(15_000);
    factory.setHandshakeTimeout(15_000);
    factory.setChannelRpcTimeout(10_000);
    return factory;
  }

  /** A new connection, closed after the test. */
  protected Connection newConnection() throws Exception {
    Connection connection = connectionFactory().newConnection();
    connections.add(connection);
    return connection;
  }

  /** Keeps {@code connection} to be closed after the test. */
  protected Connection track(Connection connection) {
    connections.add(connection);
    return connection;
  }

  /** A name no other test uses, so tests can share one broker. */
  protected static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  /** The host:port of the broker under test, for raw-socket tests. */
  protected URI brokerUri() {
    return EXTERNAL_URI != null
        ? URI.create(EXTERNAL_URI)
        : URI.create("amqp://guest:guest@127.0.0.1:" + broker.port());
  }
}
