package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.broker.it.ClusterProcesses.Leader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Jepsen-style kill loop on one quorum queue of three broker processes: two publishers in confirm
 * mode and one consumer, each going to another live node when its own dies, while every 1–3 s the
 * queue's leader (a random node when no leader is known) is killed with SIGKILL and started again
 * on its data directory. At the end the queue is drained: nothing confirmed may be missing and
 * nothing may arrive that was never published; duplicates are counted, not failed (delivery is at
 * least once across a failover), and the time from each kill to the first publish acked again is
 * reported.
 *
 * <p>{@code -Dwarren.soak.kills=N} sets the number of kills (5 by default, about a minute; 100 for
 * the long run), {@code -Dwarren.soak.rate} each publisher's messages a second, {@code
 * -Dwarren.soak.seed} replays a run's pauses and choices of node.
 */
class QuorumSoakIT {

  private static final Map<String, Object> QUORUM = Map.of("x-queue-type", "quorum");
  private static final String QUEUE = "soak";
  private static final int KILLS = Integer.getInteger("warren.soak.kills", 5);

  /** Per publisher: enough to keep a backlog moving, little enough for each node's 256 MB heap. */
  private static final int RATE = Integer.getInteger("warren.soak.rate", 200);

  private static final long SEED = Long.getLong("warren.soak.seed", System.nanoTime());

  @TempDir Path dir;

  private ClusterProcesses cluster;
  private final ExecutorService clients = Executors.newCachedThreadPool();
  private final AtomicBoolean stop = new AtomicBoolean();

  private final Set<String> published = ConcurrentHashMap.newKeySet();
  private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
  private final Set<String> nacked = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> received = new ConcurrentHashMap<>();
  private final AtomicLong deliveries = new AtomicLong();
  private final AtomicLong lastDelivery = new AtomicLong(System.nanoTime());
  private final AtomicInteger reconnects = new AtomicInteger();
  private final AtomicInteger cancels = new AtomicInteger();

  /** For a failure's message: each publish's node and time (ms since the start). */
  private final Map<String, String> sent = new ConcurrentHashMap<>();

  private volatile long started;

  @BeforeEach
  void startThreeNodes() throws Exception {
    cluster = ClusterProcesses.start(dir);
  }

  @AfterEach
  void stopThem() throws Exception {
    stop.set(true);
    clients.shutdownNow();
    clients.awaitTermination(10, TimeUnit.SECONDS);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void killingTheLeaderOverAndOverLosesNoConfirmedMessage() throws Exception {
    started = System.nanoTime();
    Random random = new Random(SEED);
    cluster.channel(0).queueDeclare(QUEUE, true, false, false, QUORUM);
    cluster.awaitLeader(QUEUE, 0, Duration.ofSeconds(30));
    List<Future<?>> running = new ArrayList<>();
    running.add(clients.submit(() -> publish("a", new Random(SEED + 1))));
    running.add(clients.submit(() -> publish("b", new Random(SEED + 2))));
    running.add(clients.submit(() -> consume(new Random(SEED + 3))));

    List<String> kills = new ArrayList<>();
    long failoverMax = 0;
    for (int k = 0; k < KILLS; k++) {
      // the loop's pace, not a wait for a condition
      TimeUnit.MILLISECONDS.sleep(1000 + random.nextInt(2001));
      Optional<Leader> leader = cluster.leader(QUEUE);
      int victim = leader.map(Leader::node).orElseGet(() -> cluster.randomRunning(random, -1));
      int survivor = cluster.randomRunning(random, victim);
      long killedAt = System.nanoTime();
      cluster.kill(victim);
      Duration failover =
          cluster.awaitConfirmedPublish(
              survivor,
              QUEUE,
              killedAt,
              Duration.ofSeconds(30),
              "probe-" + k + "-",
              published,
              confirmed);
      failoverMax = Math.max(failoverMax, failover.toMillis());
      kills.add(
          "n"
              + victim
              + (leader.isPresent() ? " (leader)" : "")
              + " at "
              + sinceStart(killedAt)
              + "ms: "
              + failover.toMillis()
              + "ms");
      cluster.restart(victim);
    }

    stop.set(true);
    for (Future<?> f : running) {
      f.get(60, TimeUnit.SECONDS); // a client that failed in a way it does not expect shows here
    }
    int node = cluster.randomRunning(random, -1);
    cluster.awaitConfirmedPublish(
        node, QUEUE, System.nanoTime(), Duration.ofSeconds(30), "last-", published, confirmed);
    Set<String> mustArrive = Set.copyOf(confirmed);
    drain(node, mustArrive);

    // Anything missing once the drain went quiet: the queue's state then, and whether it still
    // comes (held by a consumer that is gone, say) or never does.
    Set<String> missing = new TreeSet<>(mustArrive);
    missing.removeAll(received.keySet());
    String stateAfterDrain = queueState(); // one consumer, the drain's, is expected
    long quietAt = System.nanoTime();
    if (!missing.isEmpty()) {
      awaitQuietly(Duration.ofSeconds(30), () -> received.keySet().containsAll(missing));
    }
    long lateMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quietAt);
    Set<String> lost = new TreeSet<>(missing);
    lost.removeAll(received.keySet());
    int late = missing.size() - lost.size();
    Set<String> unexpected = new TreeSet<>(received.keySet());
    unexpected.removeAll(published);
    long duplicated = received.values().stream().filter(times -> times > 1).count();
    System.out.printf(
        "soak: kills=%d published=%d confirmed=%d received=%d lost=%d duplicated=%d unexpected=%d"
            + " failover max=%dms%n",
        KILLS,
        published.size(),
        mustArrive.size(),
        received.size(),
        lost.size(),
        duplicated,
        unexpected.size(),
        failoverMax);
    System.out.printf(
        "soak: seed=%d rate=%d/s per publisher, nacked=%d deliveries=%d reconnects=%d"
            + " consumer cancels=%d, %d s; late (after the drain went quiet)=%d%s; the queue then:"
            + " %s; kills (node, time, kill to first ack): %s%n",
        SEED,
        RATE,
        nacked.size(),
        deliveries.get(),
        reconnects.get(),
        cancels.get(),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
        late,
        missing.isEmpty() ? "" : " (waited " + lateMillis + "ms more)",
        stateAfterDrain,
        kills);
    assertTrue(
        unexpected.isEmpty(),
        unexpected.size() + " received, never published, e.g. " + firstOf(unexpected));
    assertTrue(
        lost.isEmpty(),
        () ->
            lost.size()
                + " confirmed, never received (seed "
                + SEED
                + "), e.g. "
                + firstOf(lost).stream()
                    .map(id -> id + " (sent to " + sent.get(id) + ")")
                    .collect(Collectors.joining(", "))
                + "; kills: "
                + kills
                + "; "
                + late
                + " more came in the 30 s after the drain went quiet; the queue then: "
                + stateAfterDrain
                + "\n"
                + cluster.outputs());
  }

  /**
   * One publisher: persistent messages whose bodies are {@code name-N}, at {@link #RATE} a second,
   * with confirms, on a random live node; when the connection fails, or nothing is confirmed for 5
   * s, on to another.
   */
  private Void publish(String name, Random random) throws InterruptedException {
    long interval = TimeUnit.SECONDS.toNanos(1) / RATE;
    long next = System.nanoTime();
    int n = 0;
    while (!stop.get()) {
      int node = cluster.randomRunning(random, -1);
      Connection c = null;
      try {
        if (node < 0) {
          throw new IOException("no node runs");
        }
        c = cluster.connect(node);
        TrackedPublisher publisher =
            new TrackedPublisher(c.createChannel(), QUEUE, 100, confirmed, nacked);
        while (!stop.get()) {
          String id = name + "-" + n++; // never the same id twice, whatever became of it
          published.add(id);
          sent.put(id, "n" + node + " at " + sinceStart(System.nanoTime()) + "ms");
          publisher.publish(id, Duration.ofSeconds(5));
          next += interval;
          LockSupport.parkNanos(next - System.nanoTime()); // the rate, not a wait for a condition
          next = Math.max(next, System.nanoTime() - interval);
        }
        publisher.awaitAnswers(Duration.ofSeconds(10));
      } catch (IOException | TimeoutException | ShutdownSignalException e) {
        reconnects.incrementAndGet();
        TimeUnit.MILLISECONDS.sleep(100);
      } finally {
        if (c != null) {
          c.abort(1000);
        }
      }
    }
    return null;
  }

  /**
   * The consumer: manual acknowledgements, prefetch 100, each body recorded before its ack; when
   * its connection fails or it is cancelled, on to another live node.
   */
  private Void consume(Random random) throws InterruptedException {
    while (!stop.get()) {
      int node = cluster.randomRunning(random, -1);
      Connection c = null;
      try {
        if (node < 0) {
          throw new IOException("no node runs");
        }
        c = cluster.connect(node);
        CountDownLatch gone = new CountDownLatch(1);
        consumeInto(c.createChannel(), gone);
        while (!stop.get() && !gone.await(100, TimeUnit.MILLISECONDS)) {
          // consuming
        }
      } catch (IOException | TimeoutException | ShutdownSignalException e) {
        reconnects.incrementAndGet();
        TimeUnit.MILLISECONDS.sleep(100);
      } finally {
        if (c != null) {
          c.abort(1000);
        }
      }
    }
    return null;
  }

  /** Consumes the queue on {@code ch} into {@link #received}; {@code gone} when it ends. */
  private void consumeInto(Channel ch, CountDownLatch gone) throws IOException {
    ch.basicQos(100);
    ch.basicConsume(
        QUEUE,
        false,
        new DefaultConsumer(ch) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
            received.merge(new String(body, UTF_8), 1, Integer::sum);
            deliveries.incrementAndGet();
            lastDelivery.set(System.nanoTime());
            try {
              getChannel().basicAck(envelope.getDeliveryTag(), false);
            } catch (IOException | ShutdownSignalException e) {
              gone.countDown(); // unacknowledged: it comes again
            }
          }

          @Override
          public void handleCancel(String consumerTag) {
            cancels.incrementAndGet();
            gone.countDown();
          }

          @Override
          public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
            gone.countDown();
          }
        });
  }

  /**
   * Consumes what is left from {@code node} until every id of {@code mustArrive} has come and
   * nothing more for 1 s, or nothing has come for 5 s.
   */
  private void drain(int node, Set<String> mustArrive) throws Exception {
    lastDelivery.set(System.nanoTime());
    CountDownLatch gone = new CountDownLatch(1);
    consumeInto(cluster.channel(node), gone);
    await(
        "the queue drained",
        Duration.ofSeconds(60),
        () -> {
          long quiet = System.nanoTime() - lastDelivery.get();
          return quiet > TimeUnit.SECONDS.toNanos(5)
              || gone.getCount() == 0
              || (quiet > TimeUnit.SECONDS.toNanos(1) && received.keySet().containsAll(mustArrive));
        });
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes, without failing. */
  private static void awaitQuietly(Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private long sinceStart(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos - started);
  }

  /** What each running node answers to a passive declare of the queue. */
  private String queueState() {
    List<String> answers = new ArrayList<>();
    for (int i = 0; i < ClusterProcesses.SIZE; i++) {
      try {
        AMQP.Queue.DeclareOk ok = cluster.channel(i).queueDeclarePassive(QUEUE);
        answers.add(
            "n"
                + i
                + ": "
                + ok.getMessageCount()
                + " ready, "
                + ok.getConsumerCount()
                + " consumers");
      } catch (IOException | TimeoutException | RuntimeException e) {
        answers.add("n" + i + ": " + e);
      }
    }
    return answers.toString();
  }

  /** The first 20 of a set, for a failure's message. */
  private static Set<String> firstOf(Set<String> ids) {
    return ids.stream().limit(20).collect(Collectors.toCollection(TreeSet::new));
  }

  private void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout + " waiting until " + what + "\n" + cluster.outputs());
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }
}
