package io.warrenmq.broker.queue;

import static io.warrenmq.broker.queue.QueueType.CLASSIC;
import static io.warrenmq.broker.queue.QueueType.QUORUM;
import static io.warrenmq.broker.queue.QueueType.STREAM;

import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.LongString;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The one table of the queue arguments RabbitMQ 3.10 interprets, in the order it checks them
 * ({@code rabbit_amqqueue:declare_args/0}, then the two it takes unchecked). Each row says which
 * queue types take the argument, how its value is checked — with RabbitMQ's error terms, such as
 * {@code {value_negative,-1}} — and what it sets in {@link QueueSettings}. Validation, redeclare
 * equivalence ({@link QueueDeclaration}) and parsing all read this table.
 *
 * <p>A queue type compares, on redeclaration, every argument it takes; an argument of another type
 * is refused at declaration ({@code invalid arg 'x-max-priority' for queue 'q' in vhost '/' of
 * queue type rabbit_quorum_queue}); arguments no type knows pass unchecked and uncompared.
 *
 * <p>Policies will set the same settings: RabbitMQ's policy key for {@code x-foo} is {@code foo},
 * and its value goes through the same {@link #apply}, so there is no second parser.
 */
public enum QueueArgument {
  EXPIRES(
      "x-expires",
      EnumSet.of(CLASSIC, QUORUM),
      (v, args) -> isInteger(v) && number(v) == 0 ? "{value_zero,0}" : expiry(v),
      (b, v) -> b.expires = isInteger(v) ? Math.max(1, number(v)) : b.expires),
  MESSAGE_TTL(
      "x-message-ttl",
      EnumSet.of(CLASSIC, QUORUM),
      (v, args) -> expiry(v),
      (b, v) -> b.messageTtl = isInteger(v) ? Math.max(0, number(v)) : b.messageTtl),
  DEAD_LETTER_EXCHANGE(
      "x-dead-letter-exchange",
      EnumSet.of(CLASSIC, QUORUM),
      (v, args) -> isString(v) ? null : unacceptable(v),
      (b, v) -> b.deadLetterExchange = isString(v) ? v.toString() : b.deadLetterExchange),
  DEAD_LETTER_ROUTING_KEY(
      "x-dead-letter-routing-key",
      EnumSet.of(CLASSIC, QUORUM),
      (v, args) -> {
        if (!isString(v)) {
          return unacceptable(v);
        }
        return args.containsKey("x-dead-letter-exchange") ? null : "routing_key_but_no_dlx_defined";
      },
      (b, v) -> b.deadLetterRoutingKey = isString(v) ? v.toString() : b.deadLetterRoutingKey),
  DEAD_LETTER_STRATEGY(
      "x-dead-letter-strategy",
      EnumSet.of(QUORUM),
      (v, args) -> oneOf(v, Set.of("at-most-once", "at-least-once"), "invalid_dlx_strategy"),
      null),
  MAX_LENGTH(
      "x-max-length",
      EnumSet.of(CLASSIC, QUORUM),
      (v, args) -> nonNegative(v),
      (b, v) -> b.maxLength = isInteger(v) ? Math.max(0, number(v)) : b.maxLength),
  MAX_LENGTH_BYTES(
      "x-max-length-bytes",
      EnumSet.of(CLASSIC, QUORUM, STREAM),
      (v, args) -> nonNegative(v),
      (b, v) -> b.maxLengthBytes = isInteger(v) ? Math.max(0, number(v)) : b.maxLengthBytes),
  MAX_IN_MEMORY_LENGTH(
      "x-max-in-memory-length", EnumSet.of(QUORUM), (v, a) -> nonNegative(v), null),
  MAX_IN_MEMORY_BYTES("x-max-in-memory-bytes", EnumSet.of(QUORUM), (v, a) -> nonNegative(v), null),
  MAX_PRIORITY(
      "x-max-priority",
      EnumSet.of(CLASSIC),
      (v, args) -> {
        String problem = nonNegative(v);
        return problem == null && number(v) > 255 ? "{max_value_exceeded," + v + "}" : problem;
      },
      (b, v) -> b.maxPriority = isInteger(v) ? (int) Math.min(255, Math.max(0, number(v))) : 0),
  OVERFLOW(
      "x-overflow",
      EnumSet.of(CLASSIC, QUORUM),
      (v, args) ->
          oneOf(v, Set.of("drop-head", "reject-publish", "reject-publish-dlx"), "invalid_overflow"),
      (b, v) -> {
        QueueSettings.Overflow o = isString(v) ? QueueSettings.Overflow.named(v.toString()) : null;
        b.overflow = o == null ? b.overflow : o;
      }),
  QUEUE_MODE(
      "x-queue-mode",
      EnumSet.of(CLASSIC),
      (v, args) -> oneOf(v, Set.of("default", "lazy"), "\"unsupported queue mode '" + v + "'\""),
      null),
  QUEUE_VERSION(
      "x-queue-version",
      EnumSet.of(CLASSIC),
      (v, args) -> {
        String problem = nonNegative(v);
        return problem == null && number(v) != 1 && number(v) != 2
            ? "\"unsupported queue version '" + v + "'\""
            : problem;
      },
      null),
  SINGLE_ACTIVE_CONSUMER(
      "x-single-active-consumer",
      EnumSet.of(CLASSIC, QUORUM),
      (v, args) -> v instanceof Boolean ? null : unacceptable(v),
      (b, v) -> b.singleActiveConsumer = Boolean.TRUE.equals(v)),
  QUEUE_TYPE(
      "x-queue-type",
      EnumSet.of(CLASSIC, QUORUM, STREAM),
      (v, args) -> {
        if (!isString(v)) {
          return unacceptable(v);
        }
        return QueueType.named(v.toString()) == null
            ? "\"unsupported queue type '" + v + "'\""
            : null;
      },
      (b, v) -> {
        QueueType t = isString(v) ? QueueType.named(v.toString()) : null;
        b.type = t == null ? b.type : t;
      }),
  QUORUM_INITIAL_GROUP_SIZE(
      "x-quorum-initial-group-size", EnumSet.of(QUORUM), (v, a) -> positive(v), null),
  // Stream arguments: only told apart from the others, since stream declarations are refused.
  MAX_AGE("x-max-age", EnumSet.of(STREAM), null, null),
  STREAM_MAX_SEGMENT_SIZE_BYTES("x-stream-max-segment-size-bytes", EnumSet.of(STREAM), null, null),
  INITIAL_CLUSTER_SIZE("x-initial-cluster-size", EnumSet.of(STREAM), null, null),
  QUEUE_LEADER_LOCATOR(
      "x-queue-leader-locator",
      EnumSet.of(QUORUM, STREAM),
      (v, args) ->
          oneOf(
              v,
              Set.of("client-local", "balanced", "random", "least-leaders"),
              "invalid_queue_locator_arg"),
      null),
  // Taken without a check by RabbitMQ 3.10: any value is accepted; only an integer limits.
  DELIVERY_LIMIT(
      "x-delivery-limit",
      EnumSet.of(QUORUM),
      null,
      (b, v) -> b.deliveryLimit = isInteger(v) ? number(v) : b.deliveryLimit),
  QUEUE_MASTER_LOCATOR("x-queue-master-locator", EnumSet.of(CLASSIC), null, null);

  /** RabbitMQ's {@code ?MAX_EXPIRY_TIMER}: ten years, in milliseconds. */
  static final long MAX_EXPIRY = 315_360_000_000L;

  /** Checks a value; null when it is acceptable, else RabbitMQ's error term as it prints it. */
  @FunctionalInterface
  interface Check {
    String problem(Object value, Map<String, Object> arguments);
  }

  /** Sets what a value of this argument means; values of the wrong type change nothing. */
  @FunctionalInterface
  interface Apply {
    void apply(QueueSettings.Builder settings, Object value);
  }

  private final String key;
  private final Set<QueueType> types;
  private final Check check;
  private final Apply apply;

  QueueArgument(String key, Set<QueueType> types, Check check, Apply apply) {
    this.key = key;
    this.types = types;
    this.check = check;
    this.apply = apply;
  }

  /** The argument's name, e.g. {@code x-message-ttl}. */
  public String key() {
    return key;
  }

  /** Whether queues of {@code type} take this argument (and compare it on redeclaration). */
  public boolean takenBy(QueueType type) {
    return types.contains(type);
  }

  /** The argument named {@code key}, or null for one RabbitMQ does not interpret. */
  public static QueueArgument named(String key) {
    if (!key.startsWith("x-")) {
      return null;
    }
    for (QueueArgument a : values()) {
      if (a.key.equals(key)) {
        return a;
      }
    }
    return null;
  }

  /** RabbitMQ's error term for {@code value} in {@code arguments}, or null when it is fine. */
  String problem(Object value, Map<String, Object> arguments) {
    return check == null ? null : check.problem(value, arguments);
  }

  void apply(QueueSettings.Builder settings, Object value) {
    if (apply != null) {
      apply.apply(settings, value);
    }
  }

  // ---------------------------------------------------------------- RabbitMQ's checks

  private static boolean isInteger(Object v) {
    return v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long;
  }

  private static long number(Object v) {
    return ((Number) v).longValue();
  }

  private static boolean isString(Object v) {
    return v instanceof LongString || v instanceof String;
  }

  private static String notInteger(Object v) {
    return isInteger(v) ? null : "\"expected integer, got " + FieldTable.typeName(v) + "\"";
  }

  private static String nonNegative(Object v) {
    String problem = notInteger(v);
    return problem == null && number(v) < 0 ? "{value_negative," + v + "}" : problem;
  }

  private static String positive(Object v) {
    String problem = nonNegative(v);
    return problem == null && number(v) == 0 ? "{value_zero,0}" : problem;
  }

  /** {@code rabbit_misc:check_expiry/1}: at most ten years. */
  private static String expiry(Object v) {
    String problem = nonNegative(v);
    return problem == null && number(v) > MAX_EXPIRY ? "{value_too_large," + v + "}" : problem;
  }

  private static String unacceptable(Object v) {
    return "{unacceptable_type," + FieldTable.typeName(v) + "}";
  }

  private static String oneOf(Object v, Set<String> known, String otherwise) {
    if (!isString(v)) {
      return unacceptable(v);
    }
    return known.contains(v.toString()) ? null : otherwise;
  }
}
