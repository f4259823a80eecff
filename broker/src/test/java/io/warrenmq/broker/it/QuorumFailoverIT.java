package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.broker.it.ClusterProcesses.Leader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A quorum queue on three broker processes whose leader is killed with SIGKILL: every message
 * confirmed to a publisher is still there for a consumer on a surviving node, a consumer on a
 * surviving node goes on without being cancelled and gets again what it had before the kill marked
 * as redelivered, and publishes are confirmed again within {@link #FAILOVER_LIMIT}.
 *
 * <p>Which node leads comes from the line the leader logs ({@link ClusterProcesses#leader}); the
 * publishers and consumers are on the other nodes, so that only the queue's leader is lost, not the
 * clients' connections.
 */
class QuorumFailoverIT {

  private static final Map<String, Object> QUORUM = Map.of("x-queue-type", "quorum");

  /**
   * What is checked here, from the kill to the first publish acked on a surviving node. The aim
   * (issue 13) is under 5 s; docs/clustering.md records the figure this test prints.
   */
  private static final Duration FAILOVER_LIMIT = Duration.ofSeconds(20);

  private static final Duration LEADER_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long publishes that were on their way at the kill may wait for their ack or nack after the
   * failover; what is still unanswered then counts as unconfirmed.
   */
  private static final Duration ANSWERS_TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path dir;

  private ClusterProcesses cluster;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeEach
  void startThreeNodes() throws Exception {
    cluster = ClusterProcesses.start(dir);
  }

  @AfterEach
  void stopThem() throws Exception {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyConfirmedMessageSurvivesItsLeaderKilled() throws Exception {
    int total = 2000;
    cluster.channel(0).queueDeclare("orders", true, false, false, QUORUM);
    Leader leader = cluster.awaitLeader("orders", 0, LEADER_TIMEOUT);
    int publisherNode = (leader.node() + 1) % ClusterProcesses.SIZE;
    int survivor = (leader.node() + 2) % ClusterProcesses.SIZE;

    Set<String> published = ConcurrentHashMap.newKeySet();
    Set<String> confirmed = ConcurrentHashMap.newKeySet();
    Set<String> nacked = ConcurrentHashMap.newKeySet();
    Channel publishing = cluster.channel(publisherNode);
    TrackedPublisher publisher =
        new TrackedPublisher(publishing, "orders", total, confirmed, nacked);
    // The first half, every one confirmed before the kill: the cluster works.
    for (int i = 0; i < total / 2; i++) {
      published.add("order-" + i);
      publisher.publish("order-" + i, Duration.ofSeconds(10));
    }
    assertTrue(publisher.awaitAnswers(Duration.ofSeconds(30)), "confirms before the kill");
    assertEquals(total / 2, confirmed.size(), "acked before the kill (nacked: " + nacked + ")");

    // The second half goes out just before the kill: acked, nacked or unanswered, as it happens.
    for (int i = total / 2; i < total; i++) {
      published.add("order-" + i);
      publisher.publish("order-" + i, Duration.ofSeconds(10));
    }
    long killedAt = System.nanoTime();
    cluster.kill(leader.node());

    Duration failover =
        cluster.awaitConfirmedPublish(
            survivor, "orders", killedAt, Duration.ofSeconds(30), "probe-", published, confirmed);
    Leader next = cluster.awaitLeader("orders", leader.term(), LEADER_TIMEOUT);
    System.out.printf(
        "QuorumFailoverIT: SIGKILL of the leader (node %d, term %d) to the first publish acked on"
            + " node %d: %d ms (new leader node %d, term %d)%n",
        leader.node(), leader.term(), survivor, failover.toMillis(), next.node(), next.term());
    long waited = System.nanoTime();
    publisher.awaitAnswers(ANSWERS_TIMEOUT);
    System.out.printf(
        "QuorumFailoverIT: of %d published before the kill, %d acked, %d nacked, %d unanswered"
            + " %d ms after the failover%n",
        total,
        confirmed.stream().filter(id -> id.startsWith("order-")).count(),
        nacked.size(),
        publisher.unanswered(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waited));
    publishing.abort(); // what is still unanswered stays unconfirmed
    Set<String> mustBeThere = Set.copyOf(confirmed);

    Map<String, Integer> received = drain(survivor, "orders", mustBeThere);
    Set<String> lost = new TreeSet<>(mustBeThere);
    lost.removeAll(received.keySet());
    assertTrue(
        lost.isEmpty(),
        lost.size() + " confirmed messages lost, e.g. " + first(lost) + "\n" + cluster.outputs());
    Set<String> unexpected = new TreeSet<>(received.keySet());
    unexpected.removeAll(published);
    assertTrue(unexpected.isEmpty(), "received, never published: " + first(unexpected));
    Set<String> twice = duplicated(received);
    assertTrue(twice.isEmpty(), "never delivered before, yet received twice: " + first(twice));

    // The killed node comes back on its data directory, caught up with what changed meanwhile.
    int later = 100;
    Set<String> laterConfirmed = ConcurrentHashMap.newKeySet();
    TrackedPublisher more =
        new TrackedPublisher(cluster.channel(survivor), "orders", later, laterConfirmed, nacked);
    for (int i = 0; i < later; i++) {
      more.publish("later-" + i, Duration.ofSeconds(10));
    }
    more.awaitAnswers(Duration.ofSeconds(30));
    assertEquals(later, laterConfirmed.size(), "publishes acked once the new leader leads");
    int restarted = leader.node();
    cluster.restart(restarted);
    // The right count is the cluster's: what the survivor says (a publish left unanswered above
    // may still have reached the queue), at least the later ones.
    List<String> answers = new CopyOnWriteArrayList<>();
    await(
        "node " + restarted + " answers a passive declare as node " + survivor + " does",
        Duration.ofSeconds(30),
        () -> {
          try {
            int there = cluster.channel(restarted).queueDeclarePassive("orders").getMessageCount();
            int here = cluster.channel(survivor).queueDeclarePassive("orders").getMessageCount();
            answers.add(there + "/" + here);
            return there == here && there >= later;
          } catch (IOException | TimeoutException | RuntimeException catchingUp) {
            answers.add(catchingUp.toString());
            return false;
          }
        },
        () -> "its answers (restarted/survivor): " + answers);
    assertTrue(
        failover.compareTo(FAILOVER_LIMIT) < 0,
        "failover took " + failover.toMillis() + " ms, more than " + FAILOVER_LIMIT);
  }

  @Test
  void aConsumerOnASurvivingNodeContinues() throws Exception {
    cluster.channel(0).queueDeclare("jobs", true, false, false, QUORUM);
    Leader leader = cluster.awaitLeader("jobs", 0, LEADER_TIMEOUT);
    int consumerNode = (leader.node() + 1) % ClusterProcesses.SIZE;
    int publisherNode = (leader.node() + 2) % ClusterProcesses.SIZE;

    AtomicBoolean killed = new AtomicBoolean();
    Set<String> deliveredBeforeKill = ConcurrentHashMap.newKeySet();
    Map<String, Integer> received = new ConcurrentHashMap<>();
    AtomicInteger afterKill = new AtomicInteger();
    AtomicInteger markedAgain = new AtomicInteger();
    AtomicInteger unmarkedAgain = new AtomicInteger();
    List<String> unmarkedRedeliveries = new CopyOnWriteArrayList<>();
    AtomicReference<String> cancelled = new AtomicReference<>();
    AtomicReference<ShutdownSignalException> closed = new AtomicReference<>();
    List<String> ackFailures = new CopyOnWriteArrayList<>();
    Channel consumer = cluster.channel(consumerNode);
    consumer.basicQos(50);
    consumer.basicConsume(
        "jobs",
        false,
        new DefaultConsumer(consumer) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
            String id = new String(body, UTF_8);
            boolean again = received.merge(id, 1, Integer::sum) > 1;
            boolean marked = envelope.isRedeliver() || deliveryCount(props) >= 1;
            if (again) {
              (marked ? markedAgain : unmarkedAgain).incrementAndGet();
            }
            if (!killed.get()) {
              deliveredBeforeKill.add(id);
            } else {
              afterKill.incrementAndGet();
              if (deliveredBeforeKill.contains(id) && !marked) {
                unmarkedRedeliveries.add(
                    id
                        + " (redelivered="
                        + envelope.isRedeliver()
                        + ", headers="
                        + props.getHeaders()
                        + ")");
              }
            }
            try {
              getChannel().basicAck(envelope.getDeliveryTag(), false);
            } catch (IOException | AlreadyClosedException e) {
              ackFailures.add(id + ": " + e);
            }
          }

          @Override
          public void handleCancel(String consumerTag) {
            cancelled.set(consumerTag);
          }

          @Override
          public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
            if (!sig.isInitiatedByApplication()) {
              closed.set(sig);
            }
          }
        });

    Set<String> published = ConcurrentHashMap.newKeySet();
    Set<String> confirmed = ConcurrentHashMap.newKeySet();
    Set<String> nacked = ConcurrentHashMap.newKeySet();
    List<String> publisherTrouble = new CopyOnWriteArrayList<>();
    AtomicInteger abandoned = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Future<?> publishing =
        pool.submit(
            () -> {
              Channel ch = null;
              TrackedPublisher publisher = null;
              int n = 0;
              while (!stop.get()) {
                String id = "job-" + n++; // never the same id twice, whatever became of it
                try {
                  if (publisher == null) {
                    ch = cluster.channel(publisherNode);
                    publisher = new TrackedPublisher(ch, "jobs", 200, confirmed, nacked);
                  }
                  published.add(id);
                  publisher.publish(id, Duration.ofSeconds(5));
                } catch (TimeoutException | IOException | AlreadyClosedException e) {
                  // A closed channel, or a window unanswered for 5 s: what it still waits for
                  // stays unconfirmed, and the publisher goes on with a new channel on its node.
                  publisherTrouble.add(id + ": " + e);
                  abandoned.addAndGet(publisher == null ? 0 : publisher.unanswered());
                  if (ch != null) {
                    ch.abort();
                  }
                  publisher = null;
                  TimeUnit.MILLISECONDS.sleep(100);
                }
              }
              if (publisher != null) {
                publisher.awaitAnswers(ANSWERS_TIMEOUT);
                ch.abort();
              }
              return null;
            });

    await(
        "500 deliveries before the kill",
        Duration.ofSeconds(30),
        () -> received.size() >= 500,
        () -> received.size() + " received");
    int confirmedAtKill = confirmed.size();
    killed.set(true);
    long killedAt = System.nanoTime();
    cluster.kill(leader.node());
    await(
        "500 deliveries and 500 more confirms after the kill",
        Duration.ofSeconds(30),
        () -> afterKill.get() >= 500 && confirmed.size() >= confirmedAtKill + 500,
        () ->
            afterKill.get()
                + " deliveries and "
                + (confirmed.size() - confirmedAtKill)
                + " confirms after the kill, "
                + nacked.size()
                + " nacked, the publisher's trouble: "
                + publisherTrouble
                + ", cancelled: "
                + cancelled.get()
                + ", consumer's channel closed: "
                + closed.get()
                + ", acks that failed: "
                + ackFailures);
    long resumedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
    stop.set(true);
    publishing.get(ANSWERS_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
    Set<String> mustArrive = Set.copyOf(confirmed);
    await(
        "every confirmed message received",
        Duration.ofSeconds(30),
        () -> received.keySet().containsAll(mustArrive) || closed.get() != null,
        () -> {
          Set<String> missing = new TreeSet<>(mustArrive);
          missing.removeAll(received.keySet());
          return missing.size() + " missing, e.g. " + first(missing);
        });

    Set<String> twice = duplicated(received);
    System.out.printf(
        "QuorumFailoverIT: consumer on node %d after SIGKILL of the leader (node %d): %d"
            + " published, %d confirmed, %d nacked, %d received (%d before the kill, %d after),"
            + " %d duplicated (%d deliveries again marked redelivered or x-delivery-count, %d"
            + " unmarked), 500 more delivered and confirmed %d ms after the kill; %d unanswered"
            + " publishes abandoned with their channel%n",
        consumerNode,
        leader.node(),
        published.size(),
        confirmed.size(),
        nacked.size(),
        received.size(),
        deliveredBeforeKill.size(),
        afterKill.get(),
        twice.size(),
        markedAgain.get(),
        unmarkedAgain.get(),
        resumedMillis,
        abandoned.get());
    assertNull(cancelled.get(), "a consumer on a surviving node is not cancelled");
    assertNull(closed.get(), "the consumer's channel stays open");
    Set<String> lost = new TreeSet<>(mustArrive);
    lost.removeAll(received.keySet());
    assertTrue(
        lost.isEmpty(),
        lost.size()
            + " confirmed messages never received, e.g. "
            + first(lost)
            + "\n"
            + cluster.outputs());
    assertTrue(
        unmarkedRedeliveries.isEmpty(),
        unmarkedRedeliveries.size()
            + " messages delivered before the kill came again neither redelivered nor with"
            + " x-delivery-count >= 1: "
            + first(unmarkedRedeliveries));
    Set<String> unexpected = new TreeSet<>(received.keySet());
    unexpected.removeAll(published);
    assertTrue(unexpected.isEmpty(), "received, never published: " + first(unexpected));
  }

  /** A message's {@code x-delivery-count} header, 0 without one. */
  private static long deliveryCount(AMQP.BasicProperties props) {
    Object count = props.getHeaders() == null ? null : props.getHeaders().get("x-delivery-count");
    return count instanceof Number n ? n.longValue() : 0;
  }

  /**
   * Consumes from {@code queue} on {@code node}, acknowledging each, until every id of {@code
   * mustArrive} has come and nothing more for 1 s, or nothing has come for 5 s; returns how many
   * times each body came.
   */
  private Map<String, Integer> drain(int node, String queue, Set<String> mustArrive)
      throws Exception {
    Map<String, Integer> received = new ConcurrentHashMap<>();
    AtomicLong last = new AtomicLong(System.nanoTime());
    Channel ch = cluster.channel(node);
    ch.basicQos(500);
    ch.basicConsume(
        queue,
        false,
        (tag, d) -> {
          received.merge(new String(d.getBody(), UTF_8), 1, Integer::sum);
          last.set(System.nanoTime());
          ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});
    await(
        "the queue drained",
        Duration.ofSeconds(60),
        () -> {
          long quiet = System.nanoTime() - last.get();
          return quiet > TimeUnit.SECONDS.toNanos(5)
              || (quiet > TimeUnit.SECONDS.toNanos(1) && received.keySet().containsAll(mustArrive));
        },
        () -> received.size() + " received");
    ch.abort();
    return received;
  }

  private static Set<String> duplicated(Map<String, Integer> received) {
    return received.entrySet().stream()
        .filter(e -> e.getValue() > 1)
        .map(Map.Entry::getKey)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The first 20, for a failure's message. */
  private static String first(Collection<String> ids) {
    return ids.stream()
        .limit(20)
        .collect(Collectors.joining(", ", "[", ids.size() > 20 ? ", …]" : "]"));
  }

  private void await(
      String what, Duration timeout, BooleanSupplier condition, Supplier<String> state)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after "
                + timeout
                + " waiting until "
                + what
                + "; "
                + state.get()
                + "\n"
                + cluster.outputs());
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }
}
