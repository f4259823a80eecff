package io.warrenmq.broker.store;

import io.warrenmq.broker.exchange.Binding;
import io.warrenmq.broker.exchange.Exchange;
import io.warrenmq.broker.queue.QueueStorage;
import java.util.Map;

/**
 * Where a virtual host records its durable topology and gets storage for its queues. Calls come
 * under the virtual host's topology lock; implementations write through before returning.
 */
public interface DefinitionStore {

  /** A durable exchange was declared. */
  void exchangeDeclared(String vhost, Exchange exchange);

  void exchangeDeleted(String vhost, String name);

  /**
   * Opens the storage of a new queue; a durable queue's definition is recorded with it.
   *
   * @return the storage, empty
   */
  default QueueStorage queueDeclared(
      String vhost,
      String name,
      boolean durable,
      boolean autoDelete,
      Map<String, Object> arguments) {
    return queueDeclared(vhost, name, durable, autoDelete, arguments, 0);
  }

  /** The same, for the queue a cluster's log declared at {@code incarnation}, recorded with it. */
  QueueStorage queueDeclared(
      String vhost,
      String name,
      boolean durable,
      boolean autoDelete,
      Map<String, Object> arguments,
      long incarnation);

  /** A queue was deleted; its storage is destroyed by the caller. */
  void queueDeleted(String vhost, String name, boolean durable);

  /** A binding between two durable ends was added. */
  void bindingAdded(String vhost, Binding binding);

  void bindingRemoved(String vhost, Binding binding);
}
