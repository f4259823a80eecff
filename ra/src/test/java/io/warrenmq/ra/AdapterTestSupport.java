package io.warrenmq.ra;

import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.warrenmq.ra.container.FakeBootstrapContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Starts the resource adapter with an embedded broker on an ephemeral loopback port and a fresh
 * data directory, in a fake container, and hands out plain AMQP client connections to it.
 */
public abstract class AdapterTestSupport {
  protected static final long WAIT_MILLIS = 10_000;

  protected Path dataDir;
  protected WarrenResourceAdapter adapter;
  protected FakeBootstrapContext container;
  private final List<Connection> amqpConnections = new ArrayList<>();

  @BeforeEach
  void startAdapter() throws Exception {
    dataDir = Files.createTempDirectory("warren-ra-it");
    adapter = startAdapter(dataDir);
  }

  protected WarrenResourceAdapter startAdapter(Path dir) throws Exception {
    WarrenResourceAdapter ra = new WarrenResourceAdapter();
    ra.setHost("127.0.0.1");
    ra.setPort(0);
    ra.setDataDir(dir.toString());
    container = new FakeBootstrapContext();
    ra.start(container);
    return ra;
  }

  @AfterEach
  void stopAdapter() throws Exception {
    for (Connection c : amqpConnections) {
      if (c.isOpen()) {
        c.abort(2000);
      }
    }
    if (adapter != null) {
      adapter.stop();
    }
    container.workManager().shutdown();
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A plain RabbitMQ Java client connection to the embedded broker. */
  protected Connection amqp() throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(adapter.connectionUri());
    f.setAutomaticRecoveryEnabled(false);
    Connection c = f.newConnection("ra-test");
    amqpConnections.add(c);
    return c;
  }

  protected static void publish(Channel ch, String queue, String body) throws IOException {
    ch.basicPublish(
        "",
        queue,
        new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("text/plain").build(),
        body.getBytes(StandardCharsets.UTF_8));
  }

  protected static long messageCount(Channel ch, String queue) throws IOException {
    return ch.queueDeclarePassive(queue).getMessageCount();
  }

  protected static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting until " + what);
      }
      Thread.sleep(10);
    }
  }

  protected interface IoSupplier<T> {
    T get() throws IOException;
  }

  /** The value, or -1 when reading it failed (a queue not declared yet). */
  protected static long orMinusOne(IoSupplier<Long> s) {
    try {
      return s.get();
    } catch (IOException e) {
      return -1;
    }
  }
}
