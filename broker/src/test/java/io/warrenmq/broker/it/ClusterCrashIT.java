package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three broker processes as one cluster, launched with {@code --node --cluster-port --join}; the
 * node holding a queue is killed with SIGKILL while the others go on changing definitions, and
 * comes back on its data directory: it has caught up with what changed meanwhile, and every message
 * confirmed to a publisher on another node is still there.
 */
class ClusterCrashIT {

  private static final Duration STARTUP = Duration.ofSeconds(60);

  @TempDir Path dir;

  private final BrokerProcess[] nodes = new BrokerProcess[3];
  private final int[] clusterPorts = new int[3];
  private final List<Connection> connections = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Connection c : connections) {
      if (c.isOpen()) {
        c.abort(1000);
      }
    }
    for (BrokerProcess b : nodes) {
      if (b != null) {
        b.close();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private BrokerProcess start(int i) throws IOException {
    List<String> flags = new ArrayList<>();
    flags.addAll(
        List.of(
            "--node", "n" + i + "@localhost", "--cluster-port", String.valueOf(clusterPorts[i])));
    if (i > 0) {
      flags.addAll(List.of("--join", "127.0.0.1:" + clusterPorts[0]));
    }
    return BrokerProcess.start(dir.resolve("n" + i), "256m", flags);
  }

  private Channel channel(int port) throws Exception {
    Connection c = BrokerProcess.clientFactory(port).newConnection();
    connections.add(c);
    return c.createChannel();
  }

  @Test
  void aKilledNodeComesBackCaughtUpWithEveryConfirmedMessage() throws Exception {
    for (int i = 0; i < 3; i++) {
      clusterPorts[i] = freePort();
    }
    int[] ports = new int[3];
    for (int i = 0; i < 3; i++) {
      nodes[i] = start(i);
      ports[i] = nodes[i].awaitPort(STARTUP); // each joins once the one before it listens
    }

    channel(ports[1]).queueDeclare("orders", true, false, false, null);
    Channel publisher = channel(ports[2]);
    publisher.confirmSelect();
    AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
    int total = 500;
    for (int i = 0; i < total; i++) {
      publisher.basicPublish(
          "", "orders", persistent, ("order " + i).getBytes(StandardCharsets.UTF_8));
    }
    publisher.waitForConfirmsOrDie(30_000);

    nodes[1].kill();
    nodes[1] = null;
    // Two of three: the cluster goes on changing its definitions.
    channel(ports[0]).exchangeDeclare("while-n1-was-dead", "fanout", true);

    nodes[1] = start(1);
    int back = nodes[1].awaitPort(STARTUP);
    Channel onBack = channel(back);
    onBack.exchangeDeclarePassive("while-n1-was-dead");
    assertEquals(total, onBack.queueDeclarePassive("orders").getMessageCount(), nodes[1].output());

    // Consumed from another node, every confirmed message, once.
    Channel consumer = channel(ports[0]);
    consumer.basicQos(50);
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    consumer.basicConsume(
        "orders",
        false,
        (tag, d) -> {
          got.add(new String(d.getBody(), StandardCharsets.UTF_8));
          consumer.basicAck(d.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});
    Set<String> distinct = new HashSet<>();
    for (int i = 0; i < total; i++) {
      String body = got.poll(20, TimeUnit.SECONDS);
      assertNotNull(body, "message " + i + " of " + total);
      distinct.add(body);
    }
    assertEquals(total, distinct.size(), "no message twice");
    GetResponse more = channel(back).basicGet("orders", true);
    assertEquals(null, more, "nothing beyond what was published");
  }
}
