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
        public long submit(VirtualHost vhost, TopologyChange change) throws AmqpException {
          return change.applyTo(vhost, 0);
        }

        @Override
        public void submitLater(VirtualHost vhost, TopologyChange change) {
          try {
            change.applyTo(vhost, 0);
          } catch (AmqpException e) {
            throw new IllegalStateException(e);
          }
        }

        @Override
        public boolean replicated() {
          return false;
        }

        @Override
        public String node() {
          return null;
        }
      };

  /**
   * Makes {@code change} take effect; returns once it has on this node.
   *
   * @return what the change answered ({@link TopologyChange#applyTo})
   * @throws AmqpException the change was refused (the same on every node), or, in a cluster, no
   *     majority of the nodes took it in time (541, as RabbitMQ's metadata store answers)
   */
  long submit(VirtualHost vhost, TopologyChange change) throws AmqpException;

  /**
   * Makes a change the broker itself decided on (an exclusive queue's owner left, an auto-delete
   * queue lost its last consumer) take effect: at once, or in a cluster soon, without waiting.
   */
  void submitLater(VirtualHost vhost, TopologyChange change);

  /** Whether changes go through a cluster. */
  boolean replicated();

  /** This node's name in its cluster, or null on a broker of its own. */
  String node();

  /**
   * Where a new queue lives, by its leader locator ({@code client-local}, {@code balanced} — the
   * running node with the fewest queues —, {@code random}; RabbitMQ 3.10's {@code min-masters} is
   * {@code balanced}); null for this node. Unknown or absent: the node's own setting.
   */
  default String place(String locator) {
    return node();
  }

  /** How long a question to another node may wait for its answer. */
  default long timeoutMillis() {
    return 30_000;
  }
}
