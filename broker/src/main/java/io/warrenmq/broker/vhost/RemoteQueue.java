package io.warrenmq.broker.vhost;

import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.queue.QueueSettings;
import java.util.Map;

/**
 * A queue that lives on another node of the cluster, as this node knows it: its definition, where
 * it is, and which declaration made it (the log index, as every node numbers it alike).
 *
 * @param ownerId the owning connection of an exclusive queue, or null
 * @param home the node that holds its messages
 */
public record RemoteQueue(
    String name,
    boolean durable,
    boolean autoDelete,
    String ownerId,
    Map<String, Object> arguments,
    QueueSettings settings,
    String home,
    long incarnation)
    implements Destination {

  public boolean exclusive() {
    return ownerId != null;
  }
}
