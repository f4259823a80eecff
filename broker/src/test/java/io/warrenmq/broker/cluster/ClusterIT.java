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
    }
    for (int i = 0; i < 3; i++) {
      nodes[i] = start(i); // on a free cluster port, kept for its restarts
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
  void anExchangeToExchangeBindingMadeOnOneNodeRoutesOnAnother() throws Exception {
    Channel on1 = channel(1);
    on1.exchangeDeclare("src", BuiltinExchangeType.FANOUT);
    on1.exchangeDeclare("dst", BuiltinExchangeType.FANOUT);
    on1.exchangeBind("dst", "src", "");
    Channel on0 = channel(0);
    String q = on0.queueDeclare().getQueue();
    on0.queueBind(q, "dst", "");
    on0.basicPublish("src", "", null, "through".getBytes());
    await(
        "the message reached the queue through the binding made on another node",
        () -> {
          try {
            return on0.messageCount(q) == 1;
          } catch (IOException e) {
            return false;
          }
        });
    channel(2).exchangeUnbind("dst", "src", "");
    on0.basicPublish("src", "", null, "not any more".getBytes());
    Thread.sleep(200);
    assertEquals(1, on0.messageCount(q), "the unbinding made on a third node holds here");
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
  void aMinorityRefusesChangesWithRabbitMqsAnswerAndServesEveryOtherConnectionMeanwhile()
      throws Exception {
    Channel survivor = channel(2);
    List<Channel> others = new ArrayList<>();
    for (int i = 0; i < 4 * Runtime.getRuntime().availableProcessors(); i++) {
      others.add(channel(2)); // some share the waiting connection's event loop
    }
    nodes[0].close();
    nodes[0] = null;
    nodes[1].close();
    nodes[1] = null;
    java.util.concurrent.CompletableFuture<IOException> declare =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                survivor.exchangeDeclare("lonely", BuiltinExchangeType.DIRECT);
                return null;
              } catch (IOException e) {
                return e;
              }
            });
    Thread.sleep(200); // the declare is waiting for a majority
    for (Channel c : others) {
      c.basicQos(10); // answered by the node alone
      String q = c.queueDeclarePassive("amq.rabbitmq.reply-to").getQueue();
      assertEquals("amq.rabbitmq.reply-to", q);
    }
    assertTrue(!declare.isDone(), "the others were served while the declare waited");
    IOException e = declare.get(30, TimeUnit.SECONDS);
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

  private static int replyCode(IOException e) {
    Object reason = ((ShutdownSignalException) e.getCause()).getReason();
    return reason instanceof com.rabbitmq.client.AMQP.Channel.Close c
        ? c.getReplyCode()
        : ((com.rabbitmq.client.AMQP.Connection.Close) reason).getReplyCode();
  }

  private static String replyText(IOException e) {
    Object reason = ((ShutdownSignalException) e.getCause()).getReason();
    return reason instanceof com.rabbitmq.client.AMQP.Channel.Close c
        ? c.getReplyText()
        : ((com.rabbitmq.client.AMQP.Connection.Close) reason).getReplyText();
  }

  @Test
  void aQueueDefinitionIsOnEveryNodeAndItsNameIsTheClustersOwn() throws Exception {
    channel(1).queueDeclare("jobs", true, false, false, java.util.Map.of("x-max-length", 10));
    // The same declaration elsewhere is equivalent; a different one is refused on every node.
    for (int i = 0; i < 3; i++) {
      int node = i;
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  channel(node)
                      .queueDeclare(
                          "jobs", true, false, false, java.util.Map.of("x-max-length", 11)));
      assertEquals(406, replyCode(e));
      assertEquals(
          "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'jobs' in vhost '/':"
              + " received '11' but current is '10'",
          replyText(e));
    }
    // An exchange on one node binds it from another; deleting it from a third removes it.
    channel(0).exchangeDeclare("work", BuiltinExchangeType.DIRECT);
    channel(2).queueBind("jobs", "work", "job");
    channel(1).basicPublish("work", "job", null, "one".getBytes());
    await(
        "the message went through the binding made on another node",
        () -> {
          try {
            return channel(1).messageCount("jobs") == 1;
          } catch (Exception e) {
            return false;
          }
        });
    // Every node answers a declare of it with its counts, asked of the node that holds it.
    for (int i = 0; i < 3; i++) {
      com.rabbitmq.client.AMQP.Queue.DeclareOk ok =
          channel(i).queueDeclare("jobs", true, false, false, java.util.Map.of("x-max-length", 10));
      assertEquals(1, ok.getMessageCount(), "node " + i);
      assertEquals(0, ok.getConsumerCount(), "node " + i);
      assertEquals(1, channel(i).queueDeclarePassive("jobs").getMessageCount(), "node " + i);
    }
    channel(1).queueDelete("jobs");
    for (int i = 0; i < 3; i++) {
      int node = i;
      IOException missing =
          assertThrows(IOException.class, () -> channel(node).queueDeclarePassive("jobs"));
      assertEquals(404, replyCode(missing));
    }
    // The name is free again, on any node.
    channel(2).queueDeclare("jobs", false, false, false, null);
  }

  @Test
  void anExclusiveQueueBelongsToItsConnectionOnEveryNodeAndGoesWithIt() throws Exception {
    Channel owner = channel(0);
    String q = owner.queueDeclare("mine", false, true, false, null).getQueue();
    for (int i = 0; i < 3; i++) {
      int node = i;
      IOException locked =
          assertThrows(
              IOException.class, () -> channel(node).queueDeclare(q, false, true, false, null));
      assertEquals(405, replyCode(locked));
    }
    owner.getConnection().close();
    for (int i = 0; i < 3; i++) {
      int node = i;
      await(
          "the exclusive queue is gone from node " + node,
          () -> {
            try {
              channel(node).queueDeclarePassive(q);
              return false;
            } catch (IOException e) {
              return replyCode(e) == 404;
            } catch (Exception e) {
              return false;
            }
          });
    }
  }

  @Test
  void aRestartKeepsADurableQueuesMessagesAndNeverReplaysAnOldDeleteOverANewerQueue()
      throws Exception {
    Channel c = channel(1);
    c.queueDeclare("kept", true, false, false, null);
    com.rabbitmq.client.AMQP.BasicProperties persistent =
        new com.rabbitmq.client.AMQP.BasicProperties.Builder().deliveryMode(2).build();
    c.confirmSelect();
    c.basicPublish("", "kept", persistent, "old".getBytes());
    c.waitForConfirmsOrDie(10_000);
    // A second incarnation under the same name: the first one's deletion stays in the log.
    c.queueDelete("kept");
    c.queueDeclare("kept", true, false, false, null);
    c.basicPublish("", "kept", persistent, "new".getBytes());
    c.basicPublish("", "kept", persistent, "newer".getBytes());
    c.waitForConfirmsOrDie(10_000);
    String transientQueue = c.queueDeclare("", false, false, false, null).getQueue();

    nodes[1].close();
    nodes[1] = start(1);

    Channel after = channel(1);
    assertEquals(2, after.messageCount("kept"), "the second queue's messages, after the replay");
    assertEquals("new", new String(after.basicGet("kept", true).getBody()));
    // The node's non-durable queue went with its restart, on every node.
    for (int i = 0; i < 3; i++) {
      int node = i;
      await(
          "the restarted node's transient queue is gone from node " + node,
          () -> {
            try {
              channel(node).queueDeclarePassive(transientQueue);
              return false;
            } catch (IOException e) {
              return replyCode(e) == 404;
            } catch (Exception e) {
              return false;
            }
          });
    }
  }

  @Test
  void publishesToAQueueOnAnotherNodeAreForwardedInOrderAndConfirmedOnceItHasThem()
      throws Exception {
    Channel home = channel(1);
    home.queueDeclare("orders", true, false, false, null);
    channel(2).exchangeDeclare("shop", BuiltinExchangeType.DIRECT);
    channel(2).queueBind("orders", "shop", "new");
    Channel publisher = channel(0);
    publisher.confirmSelect();
    com.rabbitmq.client.AMQP.BasicProperties persistent =
        new com.rabbitmq.client.AMQP.BasicProperties.Builder()
            .deliveryMode(2)
            .contentType("text/plain")
            .headers(java.util.Map.of("n", 1))
            .build();
    int total = 2_000;
    for (int i = 0; i < total; i++) {
      // half through the default exchange, half through an exchange
      if (i % 2 == 0) {
        publisher.basicPublish("", "orders", persistent, ("order " + i).getBytes());
      } else {
        publisher.basicPublish("shop", "new", persistent, ("order " + i).getBytes());
      }
    }
    publisher.waitForConfirmsOrDie(30_000);
    assertEquals(total, home.messageCount("orders"));
    for (int i = 0; i < total; i++) {
      com.rabbitmq.client.GetResponse r = home.basicGet("orders", true);
      assertEquals("order " + i, new String(r.getBody()), "in the order they were published");
      assertEquals("text/plain", r.getProps().getContentType());
      assertEquals(2, r.getProps().getDeliveryMode());
      assertEquals(1, r.getProps().getHeaders().get("n"));
    }
    // Persistent messages in a durable queue were on the other node's disk when confirmed.
    publisher.basicPublish("", "orders", persistent, "kept".getBytes());
    publisher.waitForConfirmsOrDie(10_000);
    nodes[1].close();
    nodes[1] = start(1);
    assertEquals("kept", new String(channel(1).basicGet("orders", true).getBody()));
  }

  @Test
  void aNodeThatJoinsLaterGetsWhatWasDeclaredBeforeIt() throws Exception {
    // A new cluster: node 0 alone first, the others join after its first definitions.
    for (int i = 0; i < 3; i++) {
      nodes[i].close();
      nodes[i] = null;
      try (Stream<Path> files = Files.walk(dirs.get(i))) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      Files.createDirectories(dirs.get(i));
    }
    nodes[0] = start(0);
    channel(0).exchangeDeclare("early", BuiltinExchangeType.FANOUT, true);
    channel(0).queueDeclare("early-q", true, false, false, null);
    channel(0).queueBind("early-q", "early", "");
    for (int i = 1; i < 3; i++) {
      nodes[i] = start(i);
      channel(i).exchangeDeclarePassive("early");
      channel(i).queueDeclarePassive("early-q");
      channel(i).basicPublish("early", "", null, ("via " + i).getBytes());
    }
    await(
        "both publishes reached the queue",
        () -> {
          try {
            return channel(0).queueDeclarePassive("early-q").getMessageCount() == 2;
          } catch (Exception e) {
            return false;
          }
        });
  }

  @Test
  void aTransactionPublishesToAndAcknowledgesQueuesOfOtherNodesAtCommit() throws Exception {
    channel(1).queueDeclare("ledger-1", true, false, false, null);
    channel(2).queueDeclare("ledger-2", true, false, false, null);
    Channel tx = channel(0);
    tx.txSelect();
    tx.basicPublish("", "ledger-1", null, "one".getBytes());
    tx.basicPublish("", "ledger-2", null, "two".getBytes());
    assertEquals(0, channel(1).queueDeclarePassive("ledger-1").getMessageCount(), "not before");
    tx.txCommit();
    assertEquals(1, channel(1).queueDeclarePassive("ledger-1").getMessageCount());
    assertEquals(1, channel(2).queueDeclarePassive("ledger-2").getMessageCount());
    // A rollback sends nothing.
    tx.basicPublish("", "ledger-1", null, "never".getBytes());
    tx.txRollback();
    // An acknowledgement in a transaction takes effect there at commit.
    com.rabbitmq.client.GetResponse got = tx.basicGet("ledger-2", false);
    assertEquals("two", new String(got.getBody()));
    tx.basicAck(got.getEnvelope().getDeliveryTag(), false);
    tx.txCommit();
    // Had the ack not been honoured, closing the channel would requeue the message there, ahead of
    // what node 0 forwards next (one ordered link from node 0 to node 2).
    tx.close();
    Channel after = channel(0);
    after.confirmSelect();
    after.basicPublish("", "ledger-2", null, "after".getBytes());
    after.waitForConfirmsOrDie(10_000);
    assertEquals("after", new String(channel(2).basicGet("ledger-2", true).getBody()));
    assertEquals(1, channel(1).queueDeclarePassive("ledger-1").getMessageCount());
  }

  @Test
  void basicGetTakesFromAQueueOfAnotherNodeAndItsSettlementGoesThere() throws Exception {
    Channel home = channel(1);
    home.queueDeclare("stock", true, false, false, null);
    for (int i = 0; i < 4; i++) {
      home.basicPublish("", "stock", null, ("item " + i).getBytes());
    }
    Channel getter = channel(0);
    com.rabbitmq.client.GetResponse first = getter.basicGet("stock", false);
    assertEquals("item 0", new String(first.getBody()));
    assertEquals(3, first.getMessageCount(), "how many are left there");
    assertEquals(3, home.queueDeclarePassive("stock").getMessageCount(), "out with the getter");
    // requeued: back in its place there, redelivered
    getter.basicNack(first.getEnvelope().getDeliveryTag(), false, true);
    com.rabbitmq.client.GetResponse again = getter.basicGet("stock", false);
    assertEquals("item 0", new String(again.getBody()));
    assertTrue(again.getEnvelope().isRedeliver());
    getter.basicAck(again.getEnvelope().getDeliveryTag(), false);
    assertEquals("item 1", new String(getter.basicGet("stock", true).getBody()));
    // unacknowledged when the getter's channel closes: back there
    com.rabbitmq.client.GetResponse held = getter.basicGet("stock", false);
    assertEquals("item 2", new String(held.getBody()));
    getter.close();
    await(
        "the held message is back on node 1",
        () -> {
          try {
            return home.queueDeclarePassive("stock").getMessageCount() == 2;
          } catch (IOException e) {
            return false;
          }
        });
    Channel other = channel(2);
    assertEquals("item 2", new String(other.basicGet("stock", true).getBody()));
    assertEquals("item 3", new String(other.basicGet("stock", true).getBody()));
    assertEquals(null, other.basicGet("stock", true), "empty: get-empty");
    assertThrows(IOException.class, () -> channel(2).basicGet("no-such-queue", true));
  }

  @Test
  void aForwardedPublishAFullQueueRefusesIsNackedAndOneToAStoppedNodeToo() throws Exception {
    channel(1)
        .queueDeclare(
            "bounded",
            false,
            false,
            false,
            java.util.Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
    Channel publisher = channel(0);
    publisher.confirmSelect();
    publisher.basicPublish("", "bounded", null, "fits".getBytes());
    assertTrue(publisher.waitForConfirms(10_000), "the first fits");
    publisher.basicPublish("", "bounded", null, "does not".getBytes());
    assertTrue(!publisher.waitForConfirms(10_000), "the second is nacked");

    channel(1).queueDeclare("far", true, false, false, null);
    nodes[1].close();
    nodes[1] = null;
    Channel again = channel(0);
    again.confirmSelect();
    again.basicPublish("", "far", null, "nobody home".getBytes());
    assertTrue(!again.waitForConfirms(30_000), "a node that is down cannot take it: nacked");
  }

  @Test
  void aConsumerOnAnotherNodeGetsTheQueueInOrderWithinItsPrefetchAndItsAcksReachTheQueue()
      throws Exception {
    Channel home = channel(1);
    home.queueDeclare("tasks", true, false, false, null);
    Channel publisher = channel(2);
    publisher.confirmSelect();
    int total = 100;
    for (int i = 0; i < total; i++) {
      publisher.basicPublish("", "tasks", null, ("task " + i).getBytes());
    }
    publisher.waitForConfirmsOrDie(10_000);

    Channel consumer = channel(0);
    consumer.basicQos(10);
    java.util.concurrent.BlockingQueue<com.rabbitmq.client.Delivery> got =
        new java.util.concurrent.LinkedBlockingQueue<>();
    String tag = consumer.basicConsume("tasks", false, (t, d) -> got.add(d), t -> {});
    // Unacknowledged, it holds its prefetch and no more: the rest stays on the queue's node.
    for (int i = 0; i < 10; i++) {
      com.rabbitmq.client.Delivery d = got.poll(10, TimeUnit.SECONDS);
      assertEquals("task " + i, new String(d.getBody()));
    }
    Thread.sleep(300);
    assertEquals(0, got.size(), "no more than the prefetch");
    assertEquals(90, home.queueDeclarePassive("tasks").getMessageCount());
    // Acknowledged, the rest follows in order, and the queue's node lets go of every message.
    consumer.basicAck(10, true);
    for (int i = 10; i < total; i++) {
      com.rabbitmq.client.Delivery d = got.poll(10, TimeUnit.SECONDS);
      assertEquals("task " + i, new String(d.getBody()));
      consumer.basicAck(d.getEnvelope().getDeliveryTag(), false);
    }
    await(
        "every acknowledgement reached the queue's node",
        () -> {
          try {
            com.rabbitmq.client.AMQP.Queue.DeclareOk ok = home.queueDeclarePassive("tasks");
            return ok.getMessageCount() == 0 && ok.getConsumerCount() == 1;
          } catch (IOException e) {
            return false;
          }
        });
    // Cancelled with messages unacknowledged: they go back to the queue.
    publisher.basicPublish("", "tasks", null, "late".getBytes());
    assertEquals("late", new String(got.poll(10, TimeUnit.SECONDS).getBody()));
    consumer.basicCancel(tag);
    await(
        "the unacknowledged message is back on the queue",
        () -> {
          try {
            com.rabbitmq.client.AMQP.Queue.DeclareOk ok = home.queueDeclarePassive("tasks");
            return ok.getMessageCount() == 1 && ok.getConsumerCount() == 0;
          } catch (IOException e) {
            return false;
          }
        });
  }

  @Test
  void aConsumerOfAQueueWhoseNodeStopsIsCancelled() throws Exception {
    channel(1).queueDeclare("fragile", false, false, false, null);
    Channel consumer = channel(0);
    java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
    consumer.basicConsume(
        "fragile",
        true,
        new com.rabbitmq.client.DefaultConsumer(consumer) {
          @Override
          public void handleCancel(String consumerTag) {
            cancelled.countDown();
          }
        });
    nodes[1].close();
    nodes[1] = null;
    assertTrue(cancelled.await(15, TimeUnit.SECONDS), "basic.cancel when the queue's node went");
  }

  @Test
  void aQueueOfAnotherNodeIsPurgedAndConditionallyDeletedWhereItLives() throws Exception {
    Channel home = channel(1);
    home.queueDeclare("stock", false, false, false, null);
    home.basicPublish("", "stock", null, "a".getBytes());
    home.basicPublish("", "stock", null, "b".getBytes());
    Channel other = channel(0);
    IOException notEmpty =
        assertThrows(IOException.class, () -> other.queueDelete("stock", false, true));
    assertEquals(406, replyCode(notEmpty));
    assertEquals("PRECONDITION_FAILED - queue 'stock' in vhost '/' not empty", replyText(notEmpty));
    assertEquals(2, channel(2).queuePurge("stock").getMessageCount());
    assertEquals(0, home.queueDeclarePassive("stock").getMessageCount());
    assertEquals(0, channel(2).queueDelete("stock", true, true).getMessageCount());
    IOException gone =
        assertThrows(IOException.class, () -> channel(1).queueDeclarePassive("stock"));
    assertEquals(404, replyCode(gone));
  }

  @Test
  void queuesGoWhereTheirLeaderLocatorSays() throws Exception {
    Channel on0 = channel(0);
    // Node 1 and node 2 already hold queues; balanced puts the next one on the emptiest node.
    channel(1).queueDeclare("one-on-1", false, false, false, null);
    channel(2).queueDeclare("one-on-2", false, false, false, null);
    channel(2).queueDeclare("two-on-2", false, false, false, null);
    on0.queueDeclare("here-a", false, false, false, null);
    on0.queueDeclare("here-b", false, false, false, null);
    on0.queueDeclare(
        "balanced", false, false, false, java.util.Map.of("x-queue-master-locator", "min-masters"));
    assertEquals(1, homeCount("balanced", 1), "min-masters: the node with the fewest queues");
    on0.queueDeclare(
        "leader-balanced",
        true,
        false,
        false,
        java.util.Map.of("x-queue-type", "quorum", "x-queue-leader-locator", "balanced"));
    // node 1 now holds two, node 2 two, node 0 two: any of them; it is somewhere, and usable
    on0.basicPublish("", "leader-balanced", null, "x".getBytes());
    await(
        "the message reached the balanced queue wherever it is",
        () -> {
          try {
            return on0.queueDeclarePassive("leader-balanced").getMessageCount() == 1;
          } catch (IOException e) {
            return false;
          }
        });
    assertEquals(1, homeCount("here-a", 0), "client-local by default");
  }

  /** 1 when node {@code node} holds queue {@code queue} itself. */
  private int homeCount(String queue, int node) {
    return nodes[node].vhosts().get("/").queues().stream().anyMatch(q -> q.name().equals(queue))
        ? 1
        : 0;
  }
}
