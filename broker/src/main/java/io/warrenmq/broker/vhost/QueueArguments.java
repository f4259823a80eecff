package io.warrenmq.broker.vhost;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.protocol.ReplyCode;
import java.util.Map;
import java.util.Set;

/**
 * Checks the queue arguments RabbitMQ interprets, with its texts: {@code invalid arg
 * 'x-message-ttl' for queue 'q' in vhost '/': "expected integer, got longstr"}. Arguments it does
 * not know pass unchecked, as in RabbitMQ.
 */
final class QueueArguments {

  private static final Set<String> NON_NEGATIVE_INTEGERS =
      Set.of("x-message-ttl", "x-max-length", "x-max-length-bytes", "x-max-priority");
  private static final Set<String> STRINGS =
      Set.of("x-dead-letter-exchange", "x-dead-letter-routing-key", "x-queue-type");

  private QueueArguments() {}

  static void validate(String resource, Map<String, Object> args) throws AmqpException {
    for (Map.Entry<String, Object> e : args.entrySet()) {
      String key = e.getKey();
      Object v = e.getValue();
      String problem = null;
      if (NON_NEGATIVE_INTEGERS.contains(key) || key.equals("x-expires")) {
        if (!isInteger(v)) {
          problem = "\"expected integer, got " + typeName(v) + "\"";
        } else if (((Number) v).longValue() < 0) {
          problem = "{value_negative," + v + "}";
        } else if (key.equals("x-expires") && ((Number) v).longValue() == 0) {
          problem = "{value_zero,0}";
        } else if (key.equals("x-max-priority") && ((Number) v).longValue() > 255) {
          problem = "{value_too_large," + v + ",255}";
        }
      } else if (STRINGS.contains(key) && !(v instanceof LongString || v instanceof String)) {
        problem = "\"expected longstr, got " + typeName(v) + "\"";
      } else if (key.equals("x-overflow")) {
        String s = v == null ? null : v.toString();
        if (!Set.of("drop-head", "reject-publish", "reject-publish-dlx").contains(s)) {
          problem = "{unsupported_overflow_type," + s + "}";
        }
      }
      if (problem != null) {
        throw AmqpException.of(
            ReplyCode.PRECONDITION_FAILED, "invalid arg '%s' for %s: %s", key, resource, problem);
      }
    }
  }

  private static boolean isInteger(Object v) {
    return v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long;
  }

  private static String typeName(Object v) {
    if (v instanceof LongString || v instanceof String) {
      return "longstr";
    } else if (v instanceof Boolean) {
      return "bool";
    } else if (v instanceof Double) {
      return "double";
    } else if (v instanceof Float) {
      return "float";
    } else if (v instanceof Map) {
      return "table";
    } else if (v instanceof java.util.List) {
      return "array";
    }
    return v == null ? "void" : v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }
}
