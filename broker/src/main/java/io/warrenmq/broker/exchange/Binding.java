package io.warrenmq.broker.exchange;

import java.util.Map;

/**
 * A binding from an exchange to a queue or exchange. Two bindings are the same when their source,
 * destination, key and arguments are, as in RabbitMQ.
 */
public record Binding(
    Exchange source, Destination destination, String routingKey, Map<String, Object> arguments) {

  public Binding {
    arguments = arguments == null ? Map.of() : arguments;
  }
}
