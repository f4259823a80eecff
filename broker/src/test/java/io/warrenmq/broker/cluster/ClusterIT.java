package io.warrenmq.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in one JVM on loopback form one cluster through Raft: membership (status, join,
 * forget, rejoin with the data directory), the metadata replicated to every node, and a minority
 * refusing changes with RabbitMQ's answer.
 */
class ClusterIT {

  private static final long TIMEOUT_MILLIS = 3_000;

  private final List<Path> dirs = new ArrayList<>();
  private final Broker[] nodes = new Broker[3];
  private final int[] clusterPorts = new int[3];
  private final List<Connection> connections = new ArrayList<>();

  @BeforeEach
  void startThreeNodes() throws Exception {
    for (int i = 0; i < 3; i++) {
      dirs.add(Files.createTempDirectory("warren-cluster-" + i));
      clusterPorts[i] = freePort();
    }
    for (int i = 0; i < 3; i++) {
      nodes[i] = start(i);
    }
  }

  @AfterEach
  void stopAll() throws Exception {
    for (Connection c : connections) {
      if (c.isOpen()) {
        c.abort();
      }
    }
    for (Broker b : nodes) {
      if (b != null) {
        b.close();
      }
    }
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String name(int i) {
    return "n" + (i + 1) + "@localhost";
  }

  /** Node i: the first starts the cluster, the others join through it. */
  private Broker start(int i) throws Exception {
    List<ClusterSettings.Address> seeds =
        i == 0 ? List.of() : List.of(new ClusterSettings.Address("127.0.0.1", clusterPorts[0]));
    return Broker.start(
        BrokerConfig.defaults()
            .withHost("127.0.0.1")
            .withPort(0)
            .withDataDir(dirs.get(i))
            .withName("cluster-" + i)
            .withCluster(
                new ClusterSettings(name(i), "127.0.0.1", clusterPorts[i], seeds, TIMEOUT_MILLIS)));
  }

  private Channel channel(int node) throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(nodes[node].port());
    f.setAutomaticRecoveryEnabled(false);
    Connection c = f.newConnection();
    connections.add(c);
    return c.createChannel();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  private static List<String> all() {
    return List.of(name(0), name(1), name(2));
  }

  @Test
  void threeNodesAreOneClusterThatEveryNodeSees() throws Exception {
    for (Broker b : nodes) {
      await(
          "node " + b.cluster().name() + " sees every member running",
          () -> {
            try {
              ClusterNode.Status s = b.cluster().status();
              return s.members().equals(all()) && s.running().equals(all()) && s.leader() != null;
            } catch (IOException e) {
              return false;
            }
          });
    }
    String leader = nodes[0].cluster().status().leader();
    for (Broker b : nodes) {
      assertEquals(leader, b.cluster().status().leader(), "one leader, the same for every node");
    }
  }

  @Test
  void anExchangeDeclaredOnOneNodeIsOnEveryNodeOnceTheDeclareReturns() throws Exception {
    channel(1).exchangeDeclare("orders", BuiltinExchangeType.TOPIC, true);
    for (int i = 0; i < 3; i++) {
      // passive: 404 closes the channel if the node does not have it
      channel(i).exchangeDeclarePassive("orders");
    }
    // The same declare elsewhere is equivalent; a different one is refused the same everywhere.
    channel(2).exchangeDeclare("orders", BuiltinExchangeType.TOPIC, true);
    IOException e =
        assertThrows(
            IOException.class,
            () -> channel(0).exchangeDeclare("orders", BuiltinExchangeType.FANOUT, true));
    assertEquals(
        "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'orders' in vhost '/':"
            + " received 'fanout' but current is 'topic'",
        ((ShutdownSignalException) e.getCause())
                .getReason()
                .protocolMethodName()
                .equals("channel.close")
            ? ((com.rabbitmq.client.AMQP.Channel.Close)
                    ((ShutdownSignalException) e.getCause()).getReason())
                .getReplyText()
            : null);

    channel(0).exchangeDelete("orders");
    for (int i = 0; i < 3; i++) {
      int node = i;
      IOException missing =
          assertThrows(IOException.class, () -> channel(node).exchangeDeclarePassive("orders"));
      assertEquals(
          404,
          ((com.rabbitmq.client.AMQP.Channel.Close)
                  ((ShutdownSignalException) missing.getCause()).getReason())
              .getReplyCode());
    }
  }

  @Test
  void exchangeToExchangeBindingsRouteOnEveryNode() throws Exception {
    Channel on0 = channel(0);
    on0.exchangeDeclare("src", BuiltinExchangeType.FANOUT);
    on0.exchangeDeclare("dst", BuiltinExchangeType.FANOUT);
    on0.exchangeBind("dst", "src", "");
    for (int i = 0; i < 3; i++) {
      Channel c = channel(i);
      String q = c.queueDeclare().getQueue(); // a queue of this node's own (not yet replicated)
      c.queueBind(q, "dst", "");
      c.basicPublish("src", "", null, ("via " + i).getBytes());
      await(
          "the message reached node " + i + "'s queue through the replicated binding",
          () -> {
            try {
              return c.messageCount(q) == 1;
            } catch (IOException e) {
              return false;
            }
          });
    }
  }

  @Test
  void aNodeRestartedOnItsDataDirectoryRejoinsAndCatchesUp() throws Exception {
    nodes[0].close(); // the node that started the cluster
    nodes[0] = null;
    channel(1).exchangeDeclare("while-away", BuiltinExchangeType.DIRECT, false);
    nodes[0] = start(0); // no seeds: its state says which cluster it belongs to
    channel(0).exchangeDeclarePassive("while-away");
    // and it takes part again: its changes reach the others
    channel(0).exchangeDeclare("back", BuiltinExchangeType.DIRECT, true);
    channel(2).exchangeDeclarePassive("back");
    await(
        "the rejoined node runs again",
        () -> {
          try {
            return nodes[1].cluster().status().running().equals(all());
          } catch (IOException e) {
            return false;
          }
        });
  }

  @Test
  void aMinorityRefusesChangesWithRabbitMqsAnswer() throws Exception {
    Channel survivor = channel(2);
    nodes[0].close();
    nodes[0] = null;
    nodes[1].close();
    nodes[1] = null;
    IOException e =
        assertThrows(
            IOException.class,
            () -> survivor.exchangeDeclare("lonely", BuiltinExchangeType.DIRECT));
    com.rabbitmq.client.AMQP.Connection.Close close =
        (com.rabbitmq.client.AMQP.Connection.Close)
            ((ShutdownSignalException) e.getCause()).getReason();
    assertEquals(541, close.getReplyCode());
    assertEquals(
        "INTERNAL_ERROR - failed to declare exchange 'lonely' in vhost '/' because the operation"
            + " timed out",
        close.getReplyText());
  }

  @Test
  void aStoppedNodeIsForgottenAndTheRestGoOn() throws Exception {
    IllegalArgumentException running =
        assertThrows(IllegalArgumentException.class, () -> nodes[0].cluster().forget(name(2)));
    assertTrue(running.getMessage().contains("is running"), running.getMessage());
    nodes[2].close();
    nodes[2] = null;
    await(
        "node 3 is seen stopped",
        () -> {
          try {
            return !nodes[0].cluster().status().running().contains(name(2));
          } catch (IOException e) {
            return false;
          }
        });
    nodes[0].cluster().forget(name(2));
    assertEquals(List.of(name(0), name(1)), nodes[1].cluster().status().members());
    // Two of two members: changes go on.
    channel(1).exchangeDeclare("after-forget", BuiltinExchangeType.DIRECT);
    channel(0).exchangeDeclarePassive("after-forget");
  }
}
