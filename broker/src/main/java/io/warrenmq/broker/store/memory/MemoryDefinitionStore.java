package io.warrenmq.broker.store.memory;

import io.warrenmq.broker.exchange.Binding;
import io.warrenmq.broker.exchange.Exchange;
import io.warrenmq.broker.queue.QueueSettings;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.DefinitionStore;
import io.warrenmq.broker.store.PriorityLevels;
import java.util.Map;

/**
 * Keeps nothing: every queue lives on the heap and nothing survives the process. For in-VM uses
 * that want no disk, and the reference the durable store is compared with.
 */
public final class MemoryDefinitionStore implements DefinitionStore {

  @Override
  public void exchangeDeclared(String vhost, Exchange exchange) {}

  @Override
  public void exchangeDeleted(String vhost, String name) {}

  @Override
  public QueueStorage queueDeclared(
      String vhost, String name, boolean durable, boolean autoDelete, Map<String, Object> args) {
    return QueueSettings.of(args).maxPriority() == 0
        ? new MemoryQueueStorage()
        : new PriorityLevels(p -> new MemoryQueueStorage());
  }

  @Override
  public void queueDeleted(String vhost, String name, boolean durable) {}

  @Override
  public void bindingAdded(String vhost, Binding binding) {}

  @Override
  public void bindingRemoved(String vhost, Binding binding) {}
}
