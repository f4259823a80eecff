package io.warrenmq.broker.vhost;

import java.util.List;

/**
 * Quorum queues in a cluster: each is replicated by a consensus group of its own on the nodes its
 * declaration named, and held — delivered from, published to — by that group's leader, which every
 * other node forwards to. The cluster implements it; a virtual host calls it as the log applies
 * declarations and deletions, and hears back through {@link VirtualHost#hostLeader} and {@link
 * VirtualHost#leaderLost} where the queue's messages are.
 */
public interface ReplicatedQueues {

  /** The nodes a new quorum queue of {@code size} replicas lives on: {@code home} first. */
  List<String> members(String home, int size);

  /**
   * The log applied a quorum queue's declaration (on every node, in log order): this node takes
   * part in the queue's group if it is a member.
   */
  void declared(VirtualHost vhost, String queue, long incarnation, List<String> members);

  /** The log applied the queue's deletion: its group and everything it kept go. */
  void deleted(VirtualHost vhost, String queue, long incarnation);
}
