package io.warrenmq.broker.exchange;

import io.warrenmq.broker.message.Message;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Routes to the bindings whose key equals the routing key: one hash lookup, whatever the number of
 * bindings.
 */
public final class DirectExchange extends Exchange {

  public static final String TYPE = "direct";

  private final Map<String, BindingSet> byKey = new ConcurrentHashMap<>();

  public DirectExchange(
      String name,
      boolean durable,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> arguments) {
    super(name, durable, autoDelete, internal, arguments);
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public void route(Message message, String routingKey, Routes routes) {
    BindingSet set = byKey.get(routingKey);
    if (set != null) {
      set.routeTo(routes);
    }
  }

  @Override
  protected void index(Binding binding) {
    byKey.computeIfAbsent(binding.routingKey(), k -> new BindingSet()).add(binding);
  }

  @Override
  protected void unindex(Binding binding) {
    BindingSet set = byKey.get(binding.routingKey());
    if (set != null && set.remove(binding)) {
      byKey.remove(binding.routingKey());
    }
  }
}
