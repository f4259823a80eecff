package io.warrenmq.broker.exchange;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An exchange: a name, its declared flags, and a routing index kept by its type.
 *
 * <p>Types implement four things, as RabbitMQ's exchange behaviour does: {@link #validateBinding},
 * {@link #index}, {@link #unindex} and {@link #route}. Binding changes happen under the virtual
 * host's topology lock; {@link #route} runs on publishers' threads without any lock, so each type's
 * index must be safe to read while it is being changed.
 */
public abstract class Exchange implements Destination {

  private final String name;
  private final boolean durable;
  private final boolean autoDelete;
  private final boolean internal;
  private final Map<String, Object> arguments;
  private final Set<Binding> bindings = new LinkedHashSet<>();

  protected Exchange(
      String name,
      boolean durable,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> arguments) {
    this.name = name;
    this.durable = durable;
    this.autoDelete = autoDelete;
    this.internal = internal;
    this.arguments = arguments == null ? Map.of() : arguments;
  }

  /** The type name declared, such as {@code topic}. */
  public abstract String type();

  /**
   * Adds the destinations that {@code message} is routed to with {@code routingKey}: its own, or
   * one its publisher selected besides (CC, BCC). Types that ignore routing keys ignore it.
   */
  public abstract void route(Message message, String routingKey, Routes routes);

  /** Adds the destinations that {@code message} is routed to with its routing key. */
  public final void route(Message message, Routes routes) {
    route(message, message.routingKey(), routes);
  }

  /** Refuses a binding this type cannot use, such as a headers binding with a bad x-match. */
  protected void validateBinding(Binding binding) throws AmqpException {}

  /** Adds a new binding to the routing index. */
  protected abstract void index(Binding binding);

  /** Removes a binding from the routing index. */
  protected abstract void unindex(Binding binding);

  /**
   * Adds a binding. Called under the topology lock.
   *
   * @return false when the same binding existed already
   */
  public final boolean bind(Binding binding) throws AmqpException {
    validateBinding(binding);
    if (!bindings.add(binding)) {
      return false;
    }
    index(binding);
    return true;
  }

  /**
   * Removes a binding. Called under the topology lock.
   *
   * @return false when there was no such binding
   */
  public final boolean unbind(Binding binding) {
    if (!bindings.remove(binding)) {
      return false;
    }
    unindex(binding);
    return true;
  }

  /** The bindings from this exchange, for the topology lock's holder. */
  public final Set<Binding> bindings() {
    return Collections.unmodifiableSet(bindings);
  }

  public final boolean hasBindings() {
    return !bindings.isEmpty();
  }

  @Override
  public final String name() {
    return name;
  }

  public final boolean durable() {
    return durable;
  }

  public final boolean autoDelete() {
    return autoDelete;
  }

  public final boolean internal() {
    return internal;
  }

  public final Map<String, Object> arguments() {
    return arguments;
  }

  /** The {@code alternate-exchange} argument, or null. */
  public final String alternateExchange() {
    return FieldTable.string(arguments, "alternate-exchange");
  }

  /** Splits a routing key or binding key into words; the empty key has none (as in RabbitMQ). */
  static List<String> words(String key) {
    if (key.isEmpty()) {
      return List.of();
    }
    java.util.ArrayList<String> words = new java.util.ArrayList<>();
    int start = 0;
    for (int i = 0; i < key.length(); i++) {
      if (key.charAt(i) == '.') {
        words.add(key.substring(start, i));
        start = i + 1;
      }
    }
    words.add(key.substring(start));
    return words;
  }
}
