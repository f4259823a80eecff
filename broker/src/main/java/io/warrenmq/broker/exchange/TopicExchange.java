package io.warrenmq.broker.exchange;

import io.warrenmq.broker.message.Message;
import java.util.Map;

/**
 * Routes by pattern: binding keys are dot-separated words where {@code *} matches exactly one word
 * and {@code #} zero or more. Matching walks a {@link TopicTrie}, never the list of bindings.
 */
public final class TopicExchange extends Exchange {

  public static final String TYPE = "topic";

  private final TopicTrie trie = new TopicTrie();

  public TopicExchange(
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
    trie.match(routingKey, routes);
  }

  @Override
  protected void index(Binding binding) {
    trie.add(binding);
  }

  @Override
  protected void unindex(Binding binding) {
    trie.remove(binding);
  }
}
