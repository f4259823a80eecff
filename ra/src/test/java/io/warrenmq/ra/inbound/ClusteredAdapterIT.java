package io.warrenmq.ra.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.warrenmq.ra.WarrenResourceAdapter;
import io.warrenmq.ra.container.FakeBootstrapContext;
import io.warrenmq.ra.container.FakeEndpointFactory;
import jakarta.jms.TextMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three resource adapters, as three application servers would deploy them, each embedding a broker
 * with the cluster settings (nodeName, clusterPort, join): one broker. A native client on "server
 * A" publishes, and a message-driven bean on "server C" gets every message.
 */
class ClusteredAdapterIT {

  private final List<Path> dirs = new ArrayList<>();
  private final List<WarrenResourceAdapter> adapters = new ArrayList<>();
  private final List<FakeBootstrapContext> containers = new ArrayList<>();
  private final List<Connection> connections = new ArrayList<>();

  private WarrenResourceAdapter start(String node, String join) throws Exception {
    Path dir = Files.createTempDirectory("warren-ra-cluster");
    dirs.add(dir);
    WarrenResourceAdapter ra = new WarrenResourceAdapter();
    ra.setHost("127.0.0.1");
    ra.setPort(0);
    ra.setDataDir(dir.toString());
    ra.setNodeName(node);
    ra.setClusterPort(0);
    ra.setJoin(join);
    FakeBootstrapContext container = new FakeBootstrapContext();
    containers.add(container);
    ra.start(container);
    adapters.add(ra);
    return ra;
  }

  @AfterEach
  void stop() throws Exception {
    for (Connection c : connections) {
      if (c.isOpen()) {
        c.abort(2000);
      }
    }
    for (int i = adapters.size() - 1; i >= 0; i--) {
      adapters.get(i).stop();
      containers.get(i).workManager().shutdown();
    }
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private Channel amqp(WarrenResourceAdapter ra) throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(ra.embeddedBroker().port());
    Connection c = f.newConnection();
    connections.add(c);
    return c.createChannel();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  void threeEmbeddedBrokersAreOneAndAnMdbOnOneServerConsumesWhatAnotherServerGot()
      throws Exception {
    WarrenResourceAdapter a = start("a@localhost", null);
    String seed = "127.0.0.1:" + a.embeddedBroker().cluster().port();
    WarrenResourceAdapter b = start("b@localhost", seed);
    WarrenResourceAdapter c = start("c@localhost", seed);
    assertEquals(
        List.of("a@localhost", "b@localhost", "c@localhost"),
        b.embeddedBroker().cluster().status().members());

    // The application on server A declares its queue (it lives there).
    Channel onA = amqp(a);
    onA.queueDeclare("orders", true, false, false, null);

    List<String> bodies = new CopyOnWriteArrayList<>();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(true, (m, ctx) -> bodies.add(((TextMessage) m).getText()));
    WarrenActivationSpec spec = new WarrenActivationSpec();
    spec.setResourceAdapter(c);
    spec.setDestination("orders");
    spec.setDestinationType("jakarta.jms.Queue");
    c.endpointActivation(mdb, spec);

    onA.confirmSelect();
    AMQP.BasicProperties text =
        new AMQP.BasicProperties.Builder().contentType("text/plain").build();
    for (int i = 0; i < 50; i++) {
      onA.basicPublish("", "orders", text, ("order " + i).getBytes(StandardCharsets.UTF_8));
    }
    onA.waitForConfirmsOrDie(10_000);
    await("the MDB on server C got every message", () -> bodies.size() == 50);
    await(
        "every message was acknowledged to server A's queue",
        () -> {
          try {
            return onA.queueDeclarePassive("orders").getMessageCount() == 0;
          } catch (Exception e) {
            return false;
          }
        });
    assertEquals(50, mdb.commits.get());
  }
}
