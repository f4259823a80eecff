package io.warrenmq.broker.store;

import io.warrenmq.broker.queue.QueueStorage;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a store hands back at start, in dependency order: virtual hosts and users, then exchanges,
 * queues (with the storage holding their messages), then bindings.
 */
public interface RecoveryVisitor {

  void vhost(String name);

  void user(
      String name, String password, List<String> tags, boolean loopbackOnly, Set<String> vhosts);

  void exchange(
      String vhost,
      String name,
      String type,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> arguments);

  void queue(
      String vhost,
      String name,
      boolean autoDelete,
      Map<String, Object> arguments,
      QueueStorage storage);

  /**
   * A durable queue and the cluster log index of the declaration that made it (0 outside a
   * cluster).
   */
  default void queue(
      String vhost,
      String name,
      boolean autoDelete,
      Map<String, Object> arguments,
      QueueStorage storage,
      long incarnation) {
    queue(vhost, name, autoDelete, arguments, storage);
  }

  void binding(
      String vhost,
      String source,
      String destination,
      boolean toQueue,
      String routingKey,
      Map<String, Object> arguments);
}
