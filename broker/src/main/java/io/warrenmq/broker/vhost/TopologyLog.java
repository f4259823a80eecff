package io.warrenmq.broker.vhost;

import io.warrenmq.broker.protocol.AmqpException;

/**
 * How a virtual host's definitions change: at once, on a broker of its own; through the cluster's
 * metadata log, on every node alike, in a cluster.
 */
public interface TopologyLog {

  /** Changes take effect at once, on this broker only. */
  TopologyLog LOCAL =
      new TopologyLog() {
        @Override
        public void submit(VirtualHost vhost, TopologyChange change) throws AmqpException {
          change.applyTo(vhost);
        }

        @Override
        public boolean replicated() {
          return false;
        }
      };

  /**
   * Makes {@code change} take effect; returns once it has on this node.
   *
   * @throws AmqpException the change was refused (the same on every node), or, in a cluster, no
   *     majority of the nodes took it in time (541, as RabbitMQ's metadata store answers)
   */
  void submit(VirtualHost vhost, TopologyChange change) throws AmqpException;

  /** Whether changes go through a cluster. */
  boolean replicated();
}
