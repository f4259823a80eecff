package io.warrenmq.broker.exchange;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.protocol.ReplyCode;
import java.util.Arrays;
import java.util.Map;

/**
 * Routes by message headers against binding arguments. {@code x-match} is {@code all} (the default:
 * every argument must match) or {@code any} (one suffices); arguments whose names start with {@code
 * x-} take no part unless {@code all-with-x} or {@code any-with-x} asks for them. An argument
 * without a value (void) matches on presence alone. Numbers match by value whatever their width, as
 * RabbitMQ compares by type class.
 *
 * <p>Cost: every binding is tested on every publish — inherent in matching arbitrary headers.
 */
public final class HeadersExchange extends Exchange {

  public static final String TYPE = "headers";

  private record Matcher(Binding binding, boolean any, boolean withX) {}

  private volatile Matcher[] matchers = new Matcher[0];

  public HeadersExchange(
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
  protected void validateBinding(Binding binding) throws AmqpException {
    Object xMatch = binding.arguments().get("x-match");
    if (xMatch == null) {
      return;
    }
    String mode =
        xMatch instanceof LongString || xMatch instanceof String ? xMatch.toString() : null;
    if (mode == null
        || !(mode.equals("all")
            || mode.equals("any")
            || mode.equals("all-with-x")
            || mode.equals("any-with-x"))) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "Invalid x-match field value %s; expected all, any, all-with-x, or any-with-x",
          mode == null ? String.valueOf(xMatch) : "<<\"" + mode + "\">>");
    }
  }

  @Override
  public void route(Message message, String routingKey, Routes routes) {
    Matcher[] current = matchers;
    if (current.length == 0) {
      return;
    }
    Map<String, Object> headers = message.properties().headers();
    for (Matcher m : current) {
      if (matches(m, headers == null ? Map.of() : headers)) {
        routes.add(m.binding.destination());
      }
    }
  }

  private static boolean matches(Matcher m, Map<String, Object> headers) {
    boolean any = false;
    boolean all = true;
    for (Map.Entry<String, Object> arg : m.binding.arguments().entrySet()) {
      String key = arg.getKey();
      if (key.equals("x-match") || (!m.withX && key.startsWith("x-"))) {
        continue;
      }
      boolean present = headers.containsKey(key);
      boolean match = present && valuesMatch(arg.getValue(), headers.get(key));
      if (match) {
        any = true;
        if (m.any) {
          return true;
        }
      } else {
        all = false;
        if (!m.any) {
          return false;
        }
      }
    }
    return m.any ? any : all;
  }

  static boolean valuesMatch(Object pattern, Object value) {
    if (pattern == null) {
      return true;
    }
    if (isIntegral(pattern) && isIntegral(value)) {
      return ((Number) pattern).longValue() == ((Number) value).longValue();
    }
    if (isFloating(pattern) && isFloating(value)) {
      return ((Number) pattern).doubleValue() == ((Number) value).doubleValue();
    }
    if ((pattern instanceof LongString || pattern instanceof String)
        && (value instanceof LongString || value instanceof String)) {
      return pattern.toString().equals(value.toString());
    }
    if (pattern instanceof byte[] a && value instanceof byte[] b) {
      return Arrays.equals(a, b);
    }
    return pattern.equals(value);
  }

  private static boolean isIntegral(Object o) {
    return o instanceof Byte || o instanceof Short || o instanceof Integer || o instanceof Long;
  }

  private static boolean isFloating(Object o) {
    return o instanceof Float || o instanceof Double;
  }

  @Override
  protected void index(Binding binding) {
    String mode = FieldTable.string(binding.arguments(), "x-match");
    boolean any = mode != null && mode.startsWith("any");
    boolean withX = mode != null && mode.endsWith("-with-x");
    Matcher[] old = matchers;
    Matcher[] grown = Arrays.copyOf(old, old.length + 1);
    grown[old.length] = new Matcher(binding, any, withX);
    matchers = grown;
  }

  @Override
  protected void unindex(Binding binding) {
    matchers =
        Arrays.stream(matchers).filter(m -> !m.binding.equals(binding)).toArray(Matcher[]::new);
  }
}
