package io.warrenmq.broker.protocol;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Redeclaring an exchange or queue with other flags or arguments fails with 406 and RabbitMQ's
 * wording: {@code inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but
 * current is 'false'}.
 */
public final class Equivalence {

  private Equivalence() {}

  public static void field(String what, String resource, Object current, Object received)
      throws AmqpException {
    if (!Objects.equals(current, received)) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "inequivalent arg '%s' for %s: received '%s' but current is '%s'",
          what,
          resource,
          received,
          current);
    }
  }

  /**
   * Compares the arguments named {@code keys}, as RabbitMQ does for the ones it interprets:
   * integers by value whatever their width, strings whatever their form.
   */
  public static void arguments(
      String resource, Map<String, Object> current, Map<String, Object> received, List<String> keys)
      throws AmqpException {
    for (String key : keys) {
      Object a = current.get(key);
      Object b = received.get(key);
      boolean bothPresent = current.containsKey(key) && received.containsKey(key);
      if (bothPresent && !sameValue(a, b)) {
        throw AmqpException.of(
            ReplyCode.PRECONDITION_FAILED,
            "inequivalent arg '%s' for %s: received '%s' but current is '%s'",
            key,
            resource,
            b,
            a);
      }
      if (current.containsKey(key) != received.containsKey(key)) {
        throw AmqpException.of(
            ReplyCode.PRECONDITION_FAILED,
            "inequivalent arg '%s' for %s: received %s but current is %s",
            key,
            resource,
            describe(received, key),
            describe(current, key));
      }
    }
  }

  private static boolean sameValue(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y && !(a instanceof BigDecimal)) {
      return x.longValue() == y.longValue() && x.doubleValue() == y.doubleValue();
    }
    if ((a instanceof LongString || a instanceof String)
        && (b instanceof LongString || b instanceof String)) {
      return a.toString().equals(b.toString());
    }
    return Objects.equals(a, b);
  }

  private static String describe(Map<String, Object> args, String key) {
    if (!args.containsKey(key)) {
      return "none";
    }
    Object v = args.get(key);
    return "the value '" + v + "' of type '" + FieldTable.typeName(v) + "'";
  }
}
