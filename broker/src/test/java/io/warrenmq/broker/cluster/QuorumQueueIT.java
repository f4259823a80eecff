package io.warrenmq.broker.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Quorum queues replicated by a Raft group of their own on three nodes in one JVM: the leader holds
 * the queue and every node reaches it; a confirmed message is on a majority; when the leader's node
 * stops, another member leads, with every message, what was out with consumers redelivered, and a
 * consumer on a surviving node goes on.
 */
class QuorumQueueIT {

  private static final long TIMEOUT_MILLIS = 5_000;
  private static final Map<String, Object> QUORUM = Map.of("x-queue-type", "quorum");

  private final List<Path> dirs = new ArrayList<>();
  private final Broker[] nodes = new Broker[3];
  private final int[] clusterPorts = new int[3];
  private final List<Connection> connections =
      java.util.Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void startThreeNodes() throws Exception {
    for (int i = 0; i < 3; i++) {
      dirs.add(Files.createTempDirectory("warren-quorum-" + i));
    }
    for (int i = 0; i < 3; i++) {
      nodes[i] = start(i);
      clusterPorts[i] = nodes[i].cluster().port();
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

  private static String name(int i) {
    return "q" + (i + 1) + "@localhost";
  }

  private Broker start(int i) throws Exception {
    List<ClusterSettings.Address> seeds =
        i == 0 ? List.of() : List.of(new ClusterSettings.Address("127.0.0.1", clusterPorts[0]));
    return Broker.start(
        BrokerConfig.defaults()
            .withHost("127.0.0.1")
            .withPort(0)
            .withDataDir(dirs.get(i))
            .withName("quorum-" + i)
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
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  /** The node that leads the queue, as node {@code asking} knows it. */
  private int leader(String queue, int asking) {
    String leader = nodes[asking].vhosts().get("/").leaderOf(queue);
    for (int i = 0; i < 3; i++) {
      if (nodes[i] != null && name(i).equals(leader)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether node {@code node} holds the queue itself, as its leader. */
  private boolean holds(int node, String queue) {
    return nodes[node].vhosts().get("/").queues().stream().anyMatch(q -> q.name().equals(queue));
  }

  private static AMQP.BasicProperties persistent(int i) {
    return new AMQP.BasicProperties.Builder().deliveryMode(2).messageId("m" + i).build();
  }

  @Test
  void aQuorumQueueIsLedByOneMemberAndReachedFromEveryNode() throws Exception {
    channel(0).queueDeclare("orders", true, false, false, QUORUM);
    int leader = leader("orders", 0);
    assertTrue(leader >= 0, "the declare returns once the queue has a leader");
    assertTrue(holds(leader, "orders"));
    for (int i = 0; i < 3; i++) {
      if (i != leader) {
        assertFalse(holds(i, "orders"), "node " + i + " forwards to the leader");
        int asking = i;
        await("node " + i + " knows the leader", () -> leader("orders", asking) == leader);
      }
    }
    for (int i = 0; i < 3; i++) {
      Channel ch = channel(i);
      ch.confirmSelect();
      ch.basicPublish("", "orders", persistent(i), ("from " + i).getBytes(UTF_8));
      ch.waitForConfirmsOrDie(10_000);
    }
    // A transaction on the leader's node: commit-ok once a majority has the message.
    Channel tx = channel(leader);
    tx.txSelect();
    tx.basicPublish("", "orders", persistent(3), "in a transaction".getBytes(UTF_8));
    tx.txCommit();
    for (int i = 0; i < 3; i++) {
      assertEquals(4, channel(i).queueDeclarePassive("orders").getMessageCount());
    }
    // Redeclared anywhere: the same queue, with the same answer.
    assertEquals(
        4, channel(2).queueDeclare("orders", true, false, false, QUORUM).getMessageCount());
  }

  @Test
  void everyConfirmedMessageOutlivesItsLeadersNodeAndWhatWasOutIsRedelivered() throws Exception {
    channel(0).queueDeclare("jobs", true, false, false, QUORUM);
    int leader = leader("jobs", 0);
    int publisherNode = (leader + 1) % 3;
    int consumerNode = (leader + 2) % 3;
    await(
        "node " + publisherNode + " knows the leader",
        () -> leader("jobs", publisherNode) == leader);
    Channel pub = channel(publisherNode);
    pub.confirmSelect();
    for (int i = 0; i < 200; i++) {
      pub.basicPublish("", "jobs", persistent(i), ("job " + i).getBytes(UTF_8));
    }
    pub.waitForConfirmsOrDie(10_000);

    // A consumer on a surviving node takes a few and acknowledges none yet.
    Channel con = channel(consumerNode);
    con.basicQos(5);
    Set<String> before = ConcurrentHashMap.newKeySet();
    Set<String> after = ConcurrentHashMap.newKeySet();
    Set<String> redelivered = ConcurrentHashMap.newKeySet();
    Map<String, Long> counts = new ConcurrentHashMap<>();
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicBoolean acking = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong held = new java.util.concurrent.atomic.AtomicLong();
    con.basicConsume(
        "jobs",
        false,
        new DefaultConsumer(con) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
              throws IOException {
            String id = props.getMessageId();
            if (!acking.get()) {
              before.add(id);
              held.set(envelope.getDeliveryTag());
              return;
            }
            after.add(id);
            if (envelope.isRedeliver()) {
              redelivered.add(id);
            }
            Object count =
                props.getHeaders() == null ? null : props.getHeaders().get("x-delivery-count");
            if (count instanceof Number n) {
              counts.put(id, n.longValue());
            }
            getChannel().basicAck(envelope.getDeliveryTag(), false);
          }

          @Override
          public void handleCancel(String consumerTag) {
            cancelled.set(true);
          }
        });
    await("the consumer holds its prefetch", () -> before.size() == 5);

    acking.set(true);
    nodes[leader].close();
    nodes[leader] = null;
    // What it held goes on being its own to settle; acknowledged after the loss, it comes again
    // from the new leader, redelivered (at least once: the old leader's view of it is gone).
    con.basicAck(held.get(), true);

    await(
        "a new leader serves the queue",
        () -> {
          int l = leader("jobs", consumerNode);
          return l >= 0 && l != leader && holds(l, "jobs");
        });
    await("every message reached the consumer again", () -> after.size() == 200);
    assertFalse(cancelled.get(), "a consumer on a surviving node goes on");
    for (String id : before) {
      assertTrue(redelivered.contains(id), id + " was out before: redelivered");
      assertNotNull(counts.get(id), id + " carries x-delivery-count");
      assertTrue(counts.get(id) >= 1);
    }
    // The new leader takes publishes, confirmed by the two members left.
    pub.basicPublish("", "jobs", persistent(1000), "late".getBytes(UTF_8));
    pub.waitForConfirmsOrDie(10_000);
    await("the late one arrives", () -> after.contains("m1000"));
  }

  @Test
  void aRollingRestartOfEveryNodeLosesNoConfirmedMessage() throws Exception {
    channel(0).queueDeclare("rolling", true, false, false, QUORUM);
    Set<String> confirmed = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    Thread publisher =
        new Thread(
            () -> {
              int n = 0;
              int node = 0;
              while (!stop.get()) {
                try {
                  Channel ch = channel(node);
                  ch.confirmSelect();
                  while (!stop.get()) {
                    String id = "r" + n++;
                    ch.basicPublish("", "rolling", messageId(id), id.getBytes(UTF_8));
                    if (ch.waitForConfirms(10_000)) {
                      confirmed.add(id);
                    }
                  }
                } catch (Exception lost) {
                  node = (node + 1) % 3; // its node restarts: on to another
                  try {
                    Thread.sleep(100);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              }
            });
    publisher.start();
    try {
      for (int i = 0; i < 3; i++) {
        int before = confirmed.size();
        await(
            "publishes go on before node " + i + " restarts", () -> confirmed.size() > before + 50);
        nodes[i].close();
        nodes[i] = null;
        nodes[i] = start(i);
      }
      int before = confirmed.size();
      await("publishes go on after the last restart", () -> confirmed.size() > before + 50);
    } finally {
      stop.set(true);
      publisher.join(30_000);
    }
    await(
        "the queue has a leader",
        () -> holds(0, "rolling") || holds(1, "rolling") || holds(2, "rolling"));
    Channel get = channel(holds(0, "rolling") ? 0 : holds(1, "rolling") ? 1 : 2);
    Set<String> received = new java.util.HashSet<>();
    com.rabbitmq.client.GetResponse r;
    while ((r = get.basicGet("rolling", true)) != null) {
      received.add(r.getProps().getMessageId());
    }
    Set<String> lost = new java.util.TreeSet<>(confirmed);
    lost.removeAll(received);
    assertTrue(lost.isEmpty(), "confirmed and lost: " + lost);
  }

  private static AMQP.BasicProperties messageId(String id) {
    return new AMQP.BasicProperties.Builder().deliveryMode(2).messageId(id).build();
  }

  @Test
  void snapshotsLetTheLogGoAndARestartReadsThemBack() throws Exception {
    System.setProperty("warren.cluster.snapshotEvery", "50");
    try {
      for (int i = 0; i < 3; i++) {
        nodes[i].close();
        nodes[i] = null;
      }
      for (int i = 0; i < 3; i++) {
        nodes[i] = start(i);
      }
      channel(0).queueDeclare("history", true, false, false, QUORUM);
      int leader = leader("history", 0);
      Channel pub = channel(leader);
      pub.confirmSelect();
      // One batch per publish: many more entries than between two snapshots. Half are consumed.
      for (int i = 0; i < 400; i++) {
        pub.basicPublish("", "history", persistent(i), ("entry " + i).getBytes(UTF_8));
        pub.waitForConfirmsOrDie(10_000);
      }
      for (int i = 0; i < 200; i++) {
        var r = pub.basicGet("history", false);
        pub.basicAck(r.getEnvelope().getDeliveryTag(), false);
      }
      pub.basicPublish("", "history", persistent(400), "last".getBytes(UTF_8));
      pub.waitForConfirmsOrDie(10_000);
      for (int i = 0; i < 3; i++) {
        try (Stream<Path> files = Files.walk(dirs.get(i))) {
          assertTrue(
              files.anyMatch(f -> f.getFileName().toString().startsWith("snapshot.")),
              "node " + i + " took a snapshot");
        }
      }
    } finally {
      System.clearProperty("warren.cluster.snapshotEvery");
    }
    for (int i = 0; i < 3; i++) {
      nodes[i].close();
      nodes[i] = null;
    }
    for (int i = 0; i < 3; i++) {
      nodes[i] = start(i);
    }
    await(
        "the queue has a leader again",
        () -> holds(0, "history") || holds(1, "history") || holds(2, "history"));
    int l = holds(0, "history") ? 0 : holds(1, "history") ? 1 : 2;
    Channel get = channel(l);
    for (int i = 200; i <= 400; i++) {
      var r = get.basicGet("history", true);
      assertNotNull(r, "message " + i);
      assertEquals("m" + i, r.getProps().getMessageId());
    }
    assertEquals(null, get.basicGet("history", true));
  }

  @Test
  void aRestartedMemberCatchesUpAndTheQueueKeepsItsMessagesAcrossAFullRestart() throws Exception {
    channel(0).queueDeclare("ledger", true, false, false, QUORUM);
    int leader = leader("ledger", 0);
    int other = (leader + 1) % 3;
    nodes[other].close();
    nodes[other] = null;
    Channel pub = channel(leader);
    pub.confirmSelect();
    for (int i = 0; i < 50; i++) {
      pub.basicPublish("", "ledger", persistent(i), ("entry " + i).getBytes(UTF_8));
    }
    pub.waitForConfirmsOrDie(10_000);
    nodes[other] = start(other);
    // Every node stops, and all come back: the group's log brings the queue back.
    for (int i = 0; i < 3; i++) {
      nodes[i].close();
      nodes[i] = null;
    }
    for (int i = 0; i < 3; i++) {
      nodes[i] = start(i);
    }
    await(
        "the queue has a leader again",
        () -> {
          for (int i = 0; i < 3; i++) {
            if (holds(i, "ledger")) {
              return true;
            }
          }
          return false;
        });
    int l = -1;
    for (int i = 0; i < 3; i++) {
      if (holds(i, "ledger")) {
        l = i;
      }
    }
    int asking = (l + 1) % 3;
    int newLeader = l;
    await("node " + asking + " knows the leader", () -> leader("ledger", asking) == newLeader);
    assertEquals(50, channel(asking).queueDeclarePassive("ledger").getMessageCount());
    Channel get = channel(asking); // basic.get on a node that does not lead it
    for (int i = 0; i < 50; i++) {
      var r = get.basicGet("ledger", true);
      assertNotNull(r, "message " + i);
      assertEquals("m" + i, r.getProps().getMessageId());
    }
  }
}
