package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Three broker processes as one cluster, started as {@link ClusterCrashIT} starts them ({@code
 * --node nI@localhost --cluster-port P --join 127.0.0.1:P0}), for the tests that kill a quorum
 * queue's leader: which node leads a queue, SIGKILL and a restart on the same data directory, and
 * how long until a publish is confirmed again.
 *
 * <p>A node's AMQP port changes with each start (the broker binds port 0). {@link #port}, {@link
 * #running}, {@link #randomRunning} and {@link #connect} are for client threads too; the rest
 * belongs to the test's thread.
 */
final class ClusterProcesses implements AutoCloseable {

  static final int SIZE = 3;
  static final Duration STARTUP = Duration.ofSeconds(60);

  private final Path dir;
  private final BrokerProcess[] nodes = new BrokerProcess[SIZE];
  private final int[] clusterPorts = new int[SIZE];
  private final AtomicIntegerArray ports = new AtomicIntegerArray(SIZE);
  private final StringBuilder[] earlierOutput = new StringBuilder[SIZE];
  private final List<Connection> connections = Collections.synchronizedList(new ArrayList<>());

  private ClusterProcesses(Path dir) {
    this.dir = dir;
  }

  /** Starts the three nodes one after the other, each joining the first once it listens. */
  static ClusterProcesses start(Path dir) throws IOException, InterruptedException {
    ClusterProcesses cluster = new ClusterProcesses(dir);
    for (int i = 0; i < SIZE; i++) {
      cluster.clusterPorts[i] = freePort();
      cluster.earlierOutput[i] = new StringBuilder();
    }
    for (int i = 0; i < SIZE; i++) {
      cluster.restart(i);
    }
    return cluster;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts node {@code i} on its data directory (again) and waits until it listens. */
  int restart(int i) throws IOException, InterruptedException {
    List<String> flags = new ArrayList<>();
    flags.addAll(
        List.of(
            "--node", "n" + i + "@localhost", "--cluster-port", String.valueOf(clusterPorts[i])));
    if (i > 0) {
      // ignored once the data directory belongs to the cluster (docs/clustering.md)
      flags.addAll(List.of("--join", "127.0.0.1:" + clusterPorts[0]));
    }
    nodes[i] = BrokerProcess.start(dir.resolve("n" + i), "256m", flags);
    int port = nodes[i].awaitPort(STARTUP);
    ports.set(i, port);
    return port;
  }

  /** SIGKILL to node {@code i}: no shutdown hook, no goodbye to the other nodes. */
  void kill(int i) throws InterruptedException {
    ports.set(i, 0);
    BrokerProcess b = nodes[i];
    nodes[i] = null;
    b.kill();
    earlierOutput[i].append(b.output()).append("---- killed (SIGKILL) ----\n");
  }

  boolean running(int i) {
    return ports.get(i) != 0;
  }

  /** Node {@code i}'s AMQP port, 0 while it is down. */
  int port(int i) {
    return ports.get(i);
  }

  /** A running node other than {@code except} (-1 for none), at random. */
  int randomRunning(Random random, int except) {
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      if (i != except && running(i)) {
        candidates.add(i);
      }
    }
    return candidates.isEmpty() ? -1 : candidates.get(random.nextInt(candidates.size()));
  }

  /** A connection to node {@code i}, aborted by {@link #close()} if still open then. */
  Connection connect(int i) throws IOException, TimeoutException {
    int port = ports.get(i);
    if (port == 0) {
      throw new IOException("node " + i + " is down");
    }
    Connection c = BrokerProcess.clientFactory(port).newConnection();
    connections.add(c);
    return c;
  }

  Channel channel(int i) throws IOException, TimeoutException {
    return connect(i).createChannel();
  }

  /** Which node leads a quorum queue, and from which Raft term. */
  record Leader(int node, long term) {}

  /**
   * The running node that leads {@code queue} of vhost {@code /}: the one whose output has the line
   * a node logs when it takes the lead of a quorum queue ({@code QuorumQueues}) with the highest
   * term. A node that lost the lead without stopping still has its line, with a lower term.
   */
  Optional<Leader> leader(String queue) {
    Pattern led =
        Pattern.compile(
            "quorum queue '"
                + Pattern.quote(queue)
                + "' in vhost '/' is led by this node from term (\\d+)");
    Leader best = null;
    for (int i = 0; i < SIZE; i++) {
      BrokerProcess b = nodes[i];
      if (b == null) {
        continue;
      }
      Matcher m = led.matcher(b.output());
      while (m.find()) {
        long term = Long.parseLong(m.group(1));
        if (best == null || term > best.term()) {
          best = new Leader(i, term);
        }
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Waits until a running node leads {@code queue} from a term after {@code afterTerm} (0 for any).
   *
   * @throws AssertionError with every node's output when none does within {@code timeout}
   */
  Leader awaitLeader(String queue, long afterTerm, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<Leader> l = leader(queue);
      if (l.isPresent() && l.get().term() > afterTerm) {
        return l.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no node logged that it leads quorum queue '"
                + queue
                + "' from a term after "
                + afterTerm
                + " within "
                + timeout
                + "\n"
                + outputs());
      }
      TimeUnit.MILLISECONDS.sleep(50); // polling the outputs: the log line is all there is
    }
  }

  /**
   * Publishes a persistent message with confirms to {@code queue} on node {@code node} every 100
   * ms, each on a fresh channel (a nack or a closed channel is an answer the cluster may give while
   * it elects a leader), until one is acked, and returns the time from {@code sinceNanos} ({@link
   * System#nanoTime()}) to that ack. Each probe's id ({@code prefix} and a number) goes into {@code
   * published} before it goes out, and into {@code confirmed} when acked.
   *
   * @throws AssertionError when none is acked within {@code timeout}
   */
  Duration awaitConfirmedPublish(
      int node,
      String queue,
      long sinceNanos,
      Duration timeout,
      String prefix,
      Set<String> published,
      Set<String> confirmed)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    AtomicLong ackedAt = new AtomicLong();
    CountDownLatch acked = new CountDownLatch(1);
    List<String> failures = new CopyOnWriteArrayList<>();
    Connection c = null;
    try {
      for (int n = 0; acked.getCount() > 0; n++) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "no publish to '"
                  + queue
                  + "' on node "
                  + node
                  + " acked within "
                  + timeout
                  + "; failures: "
                  + failures.subList(Math.max(0, failures.size() - 5), failures.size())
                  + "\n"
                  + outputs());
        }
        String id = prefix + n;
        try {
          if (c == null || !c.isOpen()) {
            c = connect(node);
          }
          Channel ch = c.createChannel();
          ch.confirmSelect();
          ch.addConfirmListener(
              (seq, multiple) -> {
                confirmed.add(id);
                ackedAt.compareAndSet(0, System.nanoTime());
                acked.countDown();
              },
              (seq, multiple) -> failures.add(id + " nacked"));
          published.add(id);
          ch.basicPublish("", queue, TrackedPublisher.PERSISTENT, id.getBytes(UTF_8));
        } catch (IOException | TimeoutException | RuntimeException e) {
          failures.add(id + ": " + e);
        }
        acked.await(100, TimeUnit.MILLISECONDS);
      }
      return Duration.ofNanos(ackedAt.get() - sinceNanos);
    } finally {
      if (c != null) {
        c.abort(1000);
      }
    }
  }

  /**
   * Every node's output, earlier runs of a restarted node included, for a failure's message: the
   * last 20 000 characters of each.
   */
  String outputs() {
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < SIZE; i++) {
      String out = earlierOutput[i] + (nodes[i] == null ? "" : nodes[i].output());
      int from = Math.max(0, out.length() - 20_000);
      all.append("==== node ").append(i).append(from > 0 ? " (end) ====\n" : " ====\n");
      all.append(out, from, out.length());
    }
    return all.toString();
  }

  @Override
  public void close() throws InterruptedException {
    synchronized (connections) {
      for (Connection c : connections) {
        if (c.isOpen()) {
          c.abort(1000);
        }
      }
    }
    for (int i = 0; i < SIZE; i++) {
      if (nodes[i] != null) {
        nodes[i].close();
      }
    }
  }
}
