package io.warrenmq.broker.cluster;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.vhost.TopologyChange;
import io.warrenmq.broker.vhost.TopologyLog;
import io.warrenmq.broker.vhost.VirtualHost;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Virtual hosts' definitions kept by the cluster: a change is submitted to the metadata log, and
 * every node applies the committed change to its own virtual host, so every node holds the same
 * exchanges and bindings.
 */
public final class ClusterTopology implements TopologyLog, MetadataStateMachine.Applier {

  private static final Logger LOG = Logger.getLogger(ClusterTopology.class.getName());
  private static final String VHOST = "vhost";
  private static final String RESULT = "result";

  /** Changes the broker decided on itself, submitted one after another off the caller's thread. */
  private final ExecutorService later =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "warren-cluster-changes");
            t.setDaemon(true);
            return t;
          });

  private final Function<String, VirtualHost> vhosts;
  private final java.util.function.Supplier<java.util.Collection<VirtualHost>> all;

  /** This node's settings: known before its node starts, as the log is applied from then on. */
  private final ClusterSettings settings;

  private volatile ClusterNode node;

  /**
   * @param vhosts this node's virtual hosts by name (null for one it does not have)
   */
  public ClusterTopology(
      ClusterSettings settings,
      Function<String, VirtualHost> vhosts,
      java.util.function.Supplier<java.util.Collection<VirtualHost>> all) {
    this.settings = settings;
    this.vhosts = vhosts;
    this.all = all;
  }

  /**
   * Submits what is still waiting (the exclusive queues of connections the shutdown closed), for a
   * few seconds at most, and stops.
   */
  public void close() {
    later.shutdown();
    try {
      if (!later.awaitTermination(3, java.util.concurrent.TimeUnit.SECONDS)) {
        later.shutdownNow();
      }
    } catch (InterruptedException e) {
      later.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** The node whose log changes go through; set once it has started. */
  public void attach(ClusterNode node) {
    this.node = node;
  }

  @Override
  public boolean replicated() {
    return true;
  }

  @Override
  public String node() {
    return settings.node();
  }

  @Override
  public String place(String locator) {
    String how = locator == null ? settings.leaderLocator() : locator;
    if (how.equals("client-local")) {
      return node.name();
    }
    List<String> running;
    try {
      running = node.status().running();
    } catch (java.io.IOException | RuntimeException e) {
      return node.name(); // no leader to ask: here
    }
    if (running.isEmpty()) {
      return node.name();
    }
    if (how.equals("random")) {
      return running.get(java.util.concurrent.ThreadLocalRandom.current().nextInt(running.size()));
    }
    // balanced (min-masters, least-leaders): the running node that holds the fewest queues.
    Map<String, Integer> counts = new HashMap<>();
    for (VirtualHost v : all.get()) {
      v.queuesByNode(node.name()).forEach((n, c) -> counts.merge(n, c, Integer::sum));
    }
    String best = node.name();
    int fewest = counts.getOrDefault(best, 0);
    for (String n : running) {
      int c = counts.getOrDefault(n, 0);
      if (c < fewest) {
        best = n;
        fewest = c;
      }
    }
    return best;
  }

  @Override
  public long timeoutMillis() {
    return settings.timeoutMillis();
  }

  @Override
  public void submitLater(VirtualHost vhost, TopologyChange change) {
    later.execute(
        () -> {
          try {
            submit(vhost, change);
          } catch (AmqpException e) {
            LOG.log(
                Level.WARNING,
                "could not {0}: {1}",
                new Object[] {change.describe(vhost.name()), e.getMessage()});
          }
        });
  }

  @Override
  public long submit(VirtualHost vhost, TopologyChange change) throws AmqpException {
    ClusterNode n = node;
    if (n == null) {
      throw AmqpException.of(
          ReplyCode.INTERNAL_ERROR,
          "failed to %s because the node has not joined its cluster yet",
          change.describe(vhost.name()));
    }
    Map<String, Object> command = new HashMap<>(change.encode());
    command.put(VHOST, vhost.name());
    try {
      Object result = Commands.answer(n.submit(Commands.encode(command))).get(RESULT);
      return result == null ? 0 : ((Number) result).longValue();
    } catch (TimeoutException e) {
      // RabbitMQ's answer when its metadata store has no majority.
      throw AmqpException.of(
          ReplyCode.INTERNAL_ERROR,
          "failed to %s because the operation timed out",
          change.describe(vhost.name()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw AmqpException.of(
          ReplyCode.INTERNAL_ERROR, "failed to %s: interrupted", change.describe(vhost.name()));
    }
  }

  @Override
  public byte[] apply(long index, byte[] bytes) {
    Map<String, Object> command = Commands.decode(bytes);
    String vhostName = FieldTable.string(command, VHOST);
    VirtualHost vhost = vhosts.apply(vhostName);
    if (vhost == null) {
      return Commands.refused(
          AmqpException.of(ReplyCode.NOT_FOUND, "no vhost '%s' on every node", vhostName));
    }
    try {
      return Commands.encode(Map.of(RESULT, TopologyChange.decode(command).applyTo(vhost, index)));
    } catch (AmqpException e) {
      return Commands.refused(e);
    }
  }
}
