package io.warrenmq.broker.exchange;

import io.warrenmq.broker.message.Message;
import java.util.Map;

/** Routes every message to every bound destination, ignoring the routing key. */
public final class FanoutExchange extends Exchange {

  public static final String TYPE = "fanout";

  private final BindingSet all = new BindingSet();

  public FanoutExchange(
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
    all.routeTo(routes);
  }

  @Override
  protected void index(Binding binding) {
    all.add(binding);
  }

  @Override
  protected void unindex(Binding binding) {
    all.remove(binding);
  }
}
