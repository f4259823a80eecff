package io.warrenmq.broker.vhost;

import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.queue.QueueSettings;
import java.util.Map;

/**
 * A queue that lives on another node of the cluster, as this node knows it: its definition, where
 * it is, and which declaration made it (the log index, as every node numbers it alike).
 *
 * @param ownerId the owning connection of an exclusive queue, or null
 * @param home the node that holds its messages: for a replicated queue, its leader as last heard
 * @param term for a replicated queue, the term of its group in which {@code home} was elected (0
 *     before any leader was heard of)
 */
public record RemoteQueue(
    String name,
    boolean durable,
    boolean autoDelete,
    String ownerId,
    Map<String, Object> arguments,
    QueueSettings settings,
    String home,
    long incarnation,
    long term)
    implements Destination {

  /** The same queue, led by {@code node} from {@code term}. */
  RemoteQueue ledBy(String node, long term) {
    return new RemoteQueue(
        name, durable, autoDelete, ownerId, arguments, settings, node, incarnation, term);
  }

  /** Whether it is a quorum queue, replicated by a group of nodes. */
  public boolean replicated() {
    return settings.type() == io.warrenmq.broker.queue.QueueType.QUORUM;
  }

  public boolean exclusive() {
    return ownerId != null;
  }
}
