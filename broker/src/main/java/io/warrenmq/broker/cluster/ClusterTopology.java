package io.warrenmq.broker.cluster;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.vhost.TopologyChange;
import io.warrenmq.broker.vhost.TopologyLog;
import io.warrenmq.broker.vhost.VirtualHost;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Virtual hosts' definitions kept by the cluster: a change is submitted to the metadata log, and
 * every node applies the committed change to its own virtual host, so every node holds the same
 * exchanges and bindings.
 */
public final class ClusterTopology implements TopologyLog, MetadataStateMachine.Applier {

  private static final String VHOST = "vhost";

  private final Function<String, VirtualHost> vhosts;
  private volatile ClusterNode node;

  /**
   * @param vhosts this node's virtual hosts by name (null for one it does not have)
   */
  public ClusterTopology(Function<String, VirtualHost> vhosts) {
    this.vhosts = vhosts;
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
  public void submit(VirtualHost vhost, TopologyChange change) throws AmqpException {
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
      Commands.answer(n.submit(Commands.encode(command)));
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
      TopologyChange.decode(command).applyTo(vhost);
      return Commands.ok();
    } catch (AmqpException e) {
      return Commands.refused(e);
    }
  }
}
