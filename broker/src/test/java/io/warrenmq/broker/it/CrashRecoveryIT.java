package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kills the broker with SIGKILL while publishers with confirms are in full flow, then starts it
 * again on the same data directory. A publisher confirm promises that the message is on disk, so
 * every confirmed message must come back; and the store must open cleanly after any crash, with no
 * message that was never published and no message twice.
 *
 * <p>The broker runs as a separate JVM ({@link BrokerProcess}), since only a process can be killed
 * that way. The data directory is kept across the iterations: each iteration drains what the
 * previous crash left, so the store is recovered after crash after crash, and messages acked in an
 * earlier iteration must not come back in a later one.
 *
 * <p>{@code -Dwarren.crash.seed=N} replays a run (the seed is printed); {@code
 * -Dwarren.crash.iterations=N} changes how many crashes there are (default 20).
 */
class CrashRecoveryIT {

  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final long TIMEOUT_SECONDS = 10;
  private static final int ITERATIONS = Integer.getInteger("warren.crash.iterations", 20);
  private static final int CONNECTIONS = 3;
  private static final int CHANNELS_PER_CONNECTION = 2;

  /** Publishes a channel may have waiting for their confirm, as a well-behaved publisher would. */
  private static final int IN_FLIGHT = 200;

  /** The kill comes after a random number of publishes, up to this many. */
  private static final int MAX_PUBLISHES_BEFORE_KILL = 6000;

  private static final String EXCHANGE = "crash-fanout";
  private static final List<String> QUEUES = List.of("crash-a", "crash-b");
  private static final String BARRIER = "crash-barrier";

  private Path dataDir;
  private final List<BrokerProcess> processes = new ArrayList<>();

  @BeforeEach
  void createDataDir() throws IOException {
    Assumptions.assumeTrue(
        System.getProperty("warren.test.uri") == null,
        "kills WarrenMQ processes, has nothing to check against another broker");
    dataDir = Files.createTempDirectory("warren-crash");
  }

  @AfterEach
  void killAndClean() throws Exception {
    for (BrokerProcess p : processes) {
      p.close();
    }
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private BrokerProcess startBroker() throws IOException {
    BrokerProcess p = BrokerProcess.start(dataDir);
    processes.add(p);
    return p;
  }

  /** Starts a broker on the data directory and asserts that the store opened cleanly. */
  private int startCleanly(BrokerProcess p) throws InterruptedException {
    int port = p.awaitPort(STARTUP);
    assertFalse(
        p.output().contains("cannot start"), () -> "the store did not open:\n" + p.output());
    return port;
  }

  @Test
  void everyConfirmedMessageSurvivesKillMinusNineAndNothingAppearsTwice() throws Exception {
    long seed = Long.getLong("warren.crash.seed", System.nanoTime());
    System.out.println("CrashRecoveryIT seed: -Dwarren.crash.seed=" + seed);
    Random random = new Random(seed);
    Set<String> ackedBefore = new HashSet<>();
    BrokerProcess broker = startBroker();
    int port = startCleanly(broker);
    try (Connection c = BrokerProcess.clientFactory(port).newConnection()) {
      Channel ch = c.createChannel();
      ch.exchangeDeclare(EXCHANGE, BuiltinExchangeType.FANOUT, true);
      for (String q : QUEUES) {
        ch.queueDeclare(q, true, false, false, null);
        ch.queueBind(q, EXCHANGE, "");
      }
      ch.queueDeclare(BARRIER, true, false, false, null);
    }
    int totalConfirmed = 0;
    for (int iteration = 1; iteration <= ITERATIONS; iteration++) {
      int killAfter = 1 + random.nextInt(MAX_PUBLISHES_BEFORE_KILL);
      Publishers publishers =
          new Publishers(BrokerProcess.clientFactory(port), iteration, killAfter);
      BrokerProcess crashed = broker;
      try {
        publishers.start();
        assertTrue(
            publishers.killPoint.await(TIMEOUT_SECONDS, TimeUnit.SECONDS),
            () ->
                "only " + publishers.published.size() + " publishes in " + TIMEOUT_SECONDS + " s");
        crashed.kill();
        publishers.stop();
        broker = startBroker();
        port = startCleanly(broker);
        Recovered recovered = drain(port);
        check(iteration, publishers, recovered, ackedBefore);
        recovered.ids.values().forEach(ackedBefore::addAll);
        totalConfirmed += publishers.confirmed.size();
      } catch (Throwable t) {
        System.out.println(
            "iteration "
                + iteration
                + " (seed "
                + seed
                + ", kill after "
                + killAfter
                + " publishes) failed; output of the killed broker:\n"
                + crashed.output()
                + "\noutput of the restarted broker:\n"
                + broker.output());
        publishers.stop();
        throw t;
      }
      crashed.close();
      processes.remove(crashed);
    }
    System.out.println(
        "CrashRecoveryIT: " + ITERATIONS + " crashes, " + totalConfirmed + " confirmed messages");
    assertTrue(totalConfirmed > 0, "no publish was ever confirmed: the test tested nothing");
  }

  private static void check(
      int iteration, Publishers publishers, Recovered recovered, Set<String> ackedBefore) {
    String where = "iteration " + iteration + ": ";
    for (String queue : QUEUES) {
      List<String> ids = recovered.ids.get(queue);
      Set<String> distinct = new HashSet<>(ids);
      assertEquals(
          distinct.size(), ids.size(), () -> where + "a message appears twice in " + queue + ids);
      for (String id : ids) {
        assertFalse(
            ackedBefore.contains(id),
            () -> where + queue + " holds " + id + ", acked (and synced) in an earlier iteration");
        assertTrue(
            publishers.published.contains(id),
            () -> where + queue + " holds " + id + ", which was never published");
      }
      List<String> lost = new ArrayList<>();
      for (String id : publishers.confirmed) {
        if (!distinct.contains(id)) {
          lost.add(id);
        }
      }
      assertTrue(
          lost.isEmpty(),
          () ->
              where
                  + lost.size()
                  + " of "
                  + publishers.confirmed.size()
                  + " confirmed messages are missing from "
                  + queue
                  + ", e.g. "
                  + lost.subList(0, Math.min(10, lost.size())));
      // AMQP 0-9-1 §4.7: messages published on one channel keep their order in a queue
      Map<String, Integer> lastOfChannel = new HashMap<>();
      for (String id : ids) {
        String channel = id.substring(0, id.lastIndexOf('-'));
        int n = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
        Integer before = lastOfChannel.put(channel, n);
        assertTrue(
            before == null || before < n,
            () -> where + queue + " holds " + id + " after " + channel + "-" + before);
      }
      assertEquals(
          recovered.declaredCounts.get(queue),
          ids.size(),
          () -> where + "declare-ok of " + queue + " counted otherwise than the messages drained");
    }
  }

  /** What the broker had after a crash: each queue's message ids, in order. */
  private record Recovered(Map<String, List<String>> ids, Map<String, Integer> declaredCounts) {}

  /**
   * Takes every message from the queues and acks it, then publishes one persistent message with a
   * confirm on the same channel: its confirm comes after a sync that covers the acks before it, so
   * the next crash cannot bring these messages back.
   */
  private static Recovered drain(int port) throws Exception {
    Map<String, List<String>> ids = new HashMap<>();
    Map<String, Integer> counts = new HashMap<>();
    try (Connection c = BrokerProcess.clientFactory(port).newConnection()) {
      Channel ch = c.createChannel();
      ch.basicQos(500);
      for (String queue : QUEUES) {
        int count = ch.queueDeclarePassive(queue).getMessageCount();
        counts.put(queue, count);
        BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        String tag = ch.basicConsume(queue, false, (t, d) -> deliveries.add(d), t -> {});
        List<String> queueIds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          Delivery d = nextDelivery(deliveries, ch);
          if (d == null) {
            fail(
                queue
                    + ": declare-ok said "
                    + count
                    + " messages, only "
                    + i
                    + " were delivered"
                    + (ch.isOpen()
                        ? ""
                        : "; the broker closed the channel: " + ch.getCloseReason()));
          }
          queueIds.add(d.getProperties().getMessageId());
          ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
        }
        ch.basicCancel(tag);
        // any delivery past the count would have come before cancel-ok
        for (Delivery extra = deliveries.poll(); extra != null; extra = deliveries.poll()) {
          queueIds.add(extra.getProperties().getMessageId());
          ch.basicAck(extra.getEnvelope().getDeliveryTag(), false);
        }
        assertEquals(0, ch.queueDeclarePassive(queue).getMessageCount(), queue + " drained");
        ids.put(queue, queueIds);
      }
      ch.confirmSelect();
      ch.basicPublish("", BARRIER, persistent("barrier"), new byte[0]);
      ch.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      ch.queuePurge(BARRIER);
    }
    return new Recovered(ids, counts);
  }

  /** The next delivery, or null after the timeout or as soon as the channel is closed. */
  private static Delivery nextDelivery(BlockingQueue<Delivery> deliveries, Channel ch)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    Delivery d = null;
    while (d == null && ch.isOpen() && System.nanoTime() < deadline) {
      d = deliveries.poll(100, TimeUnit.MILLISECONDS);
    }
    return d != null ? d : deliveries.poll();
  }

  private static AMQP.BasicProperties persistent(String messageId) {
    return new AMQP.BasicProperties.Builder().deliveryMode(2).messageId(messageId).build();
  }

  /**
   * Publishers on {@value #CONNECTIONS} connections with {@value #CHANNELS_PER_CONNECTION} channels
   * each, one thread per channel, each message with a unique id ({@code
   * i<iteration>-c<channel>-n}). An id joins {@link #published} before its publish goes out, and
   * {@link #confirmed} once the broker acked it.
   */
  private static final class Publishers {
    final Set<String> published = ConcurrentHashMap.newKeySet();
    final Set<String> confirmed = ConcurrentHashMap.newKeySet();
    final CountDownLatch killPoint;
    private final ConnectionFactory factory;
    private final int iteration;
    private final List<Connection> connections = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> unexpected = new ArrayList<>();
    private volatile boolean stopping;

    Publishers(ConnectionFactory factory, int iteration, int killAfter) {
      this.factory = factory;
      this.iteration = iteration;
      this.killPoint = new CountDownLatch(killAfter);
    }

    void start() throws Exception {
      byte[] body = new byte[200];
      for (int c = 0; c < CONNECTIONS; c++) {
        Connection connection = factory.newConnection();
        connections.add(connection);
        for (int k = 0; k < CHANNELS_PER_CONNECTION; k++) {
          String prefix = "i" + iteration + "-c" + (c * CHANNELS_PER_CONNECTION + k);
          Channel channel = connection.createChannel();
          channel.confirmSelect();
          Thread t = new Thread(() -> publish(channel, prefix, body), "publisher-" + prefix);
          t.setDaemon(true);
          threads.add(t);
        }
      }
      threads.forEach(Thread::start);
    }

    private void publish(Channel channel, String prefix, byte[] body) {
      ConcurrentNavigableMap<Long, String> outstanding = new ConcurrentSkipListMap<>();
      Semaphore window = new Semaphore(IN_FLIGHT);
      channel.addConfirmListener(
          new ConfirmListener() {
            @Override
            public void handleAck(long tag, boolean multiple) {
              settle(tag, multiple, true);
            }

            @Override
            public void handleNack(long tag, boolean multiple) {
              settle(tag, multiple, false);
            }

            private void settle(long tag, boolean multiple, boolean ack) {
              Map<Long, String> done =
                  multiple ? outstanding.headMap(tag, true) : subMapOf(outstanding, tag);
              int n = 0;
              for (String id : List.copyOf(done.values())) {
                if (ack) {
                  confirmed.add(id);
                }
                n++;
              }
              done.clear();
              window.release(n);
            }
          });
      try {
        for (int n = 0; !stopping; n++) {
          while (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            if (stopping || !channel.isOpen()) {
              return;
            }
          }
          String id = prefix + "-" + n;
          outstanding.put(channel.getNextPublishSeqNo(), id);
          published.add(id);
          channel.basicPublish(EXCHANGE, "", persistent(id), body);
          killPoint.countDown();
        }
      } catch (IOException | ShutdownSignalException e) {
        // the broker was killed under us: that is the point
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        if (!stopping) {
          synchronized (unexpected) {
            unexpected.add(e);
          }
        }
      }
    }

    private static Map<Long, String> subMapOf(ConcurrentNavigableMap<Long, String> map, long tag) {
      return map.subMap(tag, true, tag, true);
    }

    /** Stops the threads and drops the connections (to a dead broker by now). */
    void stop() throws InterruptedException {
      stopping = true;
      for (Connection c : connections) {
        try {
          c.abort(1000);
        } catch (RuntimeException ignored) {
          // already gone with the broker
        }
      }
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        assertFalse(t.isAlive(), t.getName() + " did not stop");
      }
      synchronized (unexpected) {
        if (!unexpected.isEmpty()) {
          AssertionError e = new AssertionError("a publisher failed unexpectedly");
          unexpected.forEach(e::addSuppressed);
          throw e;
        }
      }
    }
  }

  @Test
  void exclusiveAndNonDurableQueuesAndTransientMessagesAreGoneAfterACrash() throws Exception {
    BrokerProcess first = startBroker();
    int port = startCleanly(first);
    Connection connection = BrokerProcess.clientFactory(port).newConnection();
    try {
      Channel ch = connection.createChannel();
      ch.queueDeclare("crash-exclusive", true, true, false, null);
      ch.queueDeclare("crash-transient-queue", false, false, false, null);
      ch.queueDeclare("crash-durable", true, false, false, null);
      ch.exchangeDeclare("crash-transient-exchange", BuiltinExchangeType.FANOUT, false);
      ch.confirmSelect();
      for (String q : List.of("crash-exclusive", "crash-transient-queue", "crash-durable")) {
        ch.basicPublish("", q, persistent(q), q.getBytes(UTF_8));
      }
      ch.basicPublish("", "crash-durable", null, "transient".getBytes(UTF_8));
      ch.basicPublish("", "crash-durable", persistent("last"), "last".getBytes(UTF_8));
      ch.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));

      first.kill();
    } finally {
      connection.abort(1000);
    }
    BrokerProcess second = startBroker();
    try {
      port = startCleanly(second);
      try (Connection c = BrokerProcess.clientFactory(port).newConnection()) {
        assertFalse(queueExists(c, "crash-exclusive"), "an exclusive queue must not come back");
        assertFalse(queueExists(c, "crash-transient-queue"), "a non-durable queue");
        assertFalse(exchangeExists(c, "crash-transient-exchange"), "a non-durable exchange");
        Channel ch = c.createChannel();
        assertEquals(2, ch.queueDeclarePassive("crash-durable").getMessageCount());
        assertEquals("crash-durable", ch.basicGet("crash-durable", true).getProps().getMessageId());
        assertEquals("last", ch.basicGet("crash-durable", true).getProps().getMessageId());
      }
    } catch (Throwable t) {
      System.out.println(
          "output of the killed broker:\n"
              + first.output()
              + "\noutput of the restarted broker:\n"
              + second.output());
      throw t;
    }
  }

  private static boolean queueExists(Connection c, String queue) throws IOException {
    try {
      c.createChannel().queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      return notFound(e);
    }
  }

  private static boolean exchangeExists(Connection c, String exchange) throws IOException {
    try {
      c.createChannel().exchangeDeclarePassive(exchange);
      return true;
    } catch (IOException e) {
      return notFound(e);
    }
  }

  private static boolean notFound(IOException e) throws IOException {
    if (e.getCause() instanceof ShutdownSignalException s
        && s.getReason() instanceof AMQP.Channel.Close close
        && close.getReplyCode() == 404) {
      return false;
    }
    throw e;
  }
}
