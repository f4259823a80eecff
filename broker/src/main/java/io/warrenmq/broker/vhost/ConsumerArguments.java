package io.warrenmq.broker.vhost;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.ReplyCode;
import java.util.Map;

/**
 * The basic.consume arguments RabbitMQ checks ({@code rabbit_amqqueue}'s consume arguments), with
 * its texts, for every kind of consumer: {@code x-priority} must be an integer of any field-table
 * width.
 */
public final class ConsumerArguments {

  private static final String PRIORITY = "x-priority";

  private ConsumerArguments() {}

  /**
   * The consumer's priority, 0 when it has none.
   *
   * @param queue the queue as RabbitMQ names it in errors ({@link VirtualHost#resource})
   * @throws AmqpException 406 for an {@code x-priority} that is not an integer
   */
  public static int priority(Map<String, Object> arguments, String queue) throws AmqpException {
    if (!arguments.containsKey(PRIORITY)) {
      return 0;
    }
    Object v = arguments.get(PRIORITY);
    if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long) {
      return ((Number) v).intValue();
    }
    throw AmqpException.of(
        ReplyCode.PRECONDITION_FAILED,
        "invalid arg '%s' for %s: \"expected integer, got %s\"",
        PRIORITY,
        queue,
        FieldTable.typeName(v));
  }
}
