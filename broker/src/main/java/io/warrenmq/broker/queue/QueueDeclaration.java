package io.warrenmq.broker.queue;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.Equivalence;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.protocol.ReplyCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * RabbitMQ 3.10's rules for queue.declare, in its order, read from the {@link QueueArgument} table:
 * {@code rabbit_channel} (server-named queues, the dead-letter exchange's type), {@code
 * rabbit_amqqueue} (the queue type, then each argument of that type, then arguments of other
 * types), the type's own checks ({@code rabbit_quorum_queue}: auto-delete, exclusive, non-durable),
 * and redeclaration, which compares flags and the arguments of the existing queue's type before
 * anything is validated.
 */
public final class QueueDeclaration {

  private static final String TYPE = QueueArgument.QUEUE_TYPE.key();

  private QueueDeclaration() {}

  /** A server-named queue ({@code queue.declare} with no name) must be of a type that allows it. */
  public static void checkServerNamed(Map<String, Object> arguments) throws AmqpException {
    QueueType type = typeArgument(arguments);
    if (type != null && type != QueueType.CLASSIC) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "Cannot declare a server-named queue for type %s",
          type.module());
    }
  }

  /**
   * Checks the declaration of a new queue.
   *
   * @param resource how errors name the queue: {@code queue 'q' in vhost '/'}
   * @return the settings its arguments ask for
   */
  public static QueueSettings checkNew(
      String resource,
      boolean durable,
      boolean exclusive,
      boolean autoDelete,
      Map<String, Object> arguments)
      throws AmqpException {
    String dlx = QueueArgument.DEAD_LETTER_EXCHANGE.key();
    if (arguments.containsKey(dlx)) {
      Object v = arguments.get(dlx);
      if (!(v instanceof LongString || v instanceof String)) {
        throw AmqpException.of(
            ReplyCode.PRECONDITION_FAILED,
            "invalid type '%s' for arg '%s' in %s",
            FieldTable.typeName(v),
            dlx,
            resource);
      }
    }
    if (arguments.containsKey(TYPE)) {
      invalidIf(resource, TYPE, QueueArgument.QUEUE_TYPE.problem(arguments.get(TYPE), arguments));
    }
    QueueType type = typeArgument(arguments);
    if (type == null) {
      type = QueueType.CLASSIC;
    } else if (type == QueueType.STREAM) {
      // WarrenMQ has no streams: refused, never made a classic queue behind the client's back.
      invalidIf(resource, TYPE, "\"unsupported queue type 'stream'\"");
    }
    for (QueueArgument a : QueueArgument.values()) {
      if (a.takenBy(type) && arguments.containsKey(a.key())) {
        invalidIf(resource, a.key(), a.problem(arguments.get(a.key()), arguments));
      }
    }
    for (String key : arguments.keySet()) {
      QueueArgument a = QueueArgument.named(key);
      if (a != null && !a.takenBy(type)) {
        throw AmqpException.of(
            ReplyCode.PRECONDITION_FAILED,
            "invalid arg '%s' for %s of queue type %s",
            key,
            resource,
            type.module());
      }
    }
    if (type == QueueType.QUORUM) {
      // rabbit_quorum_queue:declare/2 checks these in this order.
      invalidProperty(resource, "auto-delete", autoDelete);
      invalidProperty(resource, "exclusive-owner", exclusive);
      invalidProperty(resource, "non-durable", !durable);
    }
    return QueueSettings.of(arguments);
  }

  /**
   * Checks a redeclaration of {@code queue} against its flags and the arguments its type takes. A
   * classic queue declared without {@code x-queue-type} matches one that names {@code classic}.
   */
  public static void checkEquivalent(
      String resource, Queue queue, boolean durable, boolean autoDelete, Map<String, Object> args)
      throws AmqpException {
    checkEquivalent(
        resource,
        queue.durable(),
        queue.autoDelete(),
        queue.arguments(),
        queue.settings().type(),
        durable,
        autoDelete,
        args);
  }

  /** The same, against a queue's definition (one that may live on another node). */
  public static void checkEquivalent(
      String resource,
      boolean currentDurable,
      boolean currentAutoDelete,
      Map<String, Object> currentArgs,
      QueueType type,
      boolean durable,
      boolean autoDelete,
      Map<String, Object> args)
      throws AmqpException {
    Equivalence.field("durable", resource, currentDurable, durable);
    Equivalence.field("auto_delete", resource, currentAutoDelete, autoDelete);
    List<String> compared = new ArrayList<>();
    for (QueueArgument a : QueueArgument.values()) {
      if (a.takenBy(type)) {
        compared.add(a.key());
      }
    }
    Map<String, Object> current = currentArgs;
    if (typeArgument(current) == QueueType.CLASSIC || typeArgument(args) == QueueType.CLASSIC) {
      current = withClassicType(current);
      args = withClassicType(args);
    }
    Equivalence.arguments(resource, current, args, compared);
  }

  private static Map<String, Object> withClassicType(Map<String, Object> args) {
    if (args.containsKey(TYPE)) {
      return args;
    }
    Map<String, Object> typed = new HashMap<>(args);
    typed.put(TYPE, QueueType.CLASSIC.argument());
    return typed;
  }

  /** Whether {@code arguments} declare a quorum queue. */
  public static boolean quorum(Map<String, Object> arguments) {
    return arguments != null && typeArgument(arguments) == QueueType.QUORUM;
  }

  /**
   * How many nodes a new quorum queue is replicated on: {@code x-quorum-initial-group-size}, else 3
   * (RabbitMQ's default; a smaller cluster has all its nodes).
   */
  public static int initialGroupSize(Map<String, Object> arguments) {
    Object v = arguments == null ? null : arguments.get("x-quorum-initial-group-size");
    return v instanceof Number n && n.longValue() > 0 ? (int) Math.min(n.longValue(), 1 << 10) : 3;
  }

  /** The type {@code x-queue-type} names, or null when it is absent or names none. */
  private static QueueType typeArgument(Map<String, Object> arguments) {
    Object v = arguments.get(TYPE);
    return v instanceof LongString || v instanceof String ? QueueType.named(v.toString()) : null;
  }

  private static void invalidIf(String resource, String key, String problem) throws AmqpException {
    if (problem != null) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "invalid arg '%s' for %s: %s", key, resource, problem);
    }
  }

  private static void invalidProperty(String resource, String property, boolean invalid)
      throws AmqpException {
    if (invalid) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "invalid property '%s' for %s", property, resource);
    }
  }
}
