package io.warrenmq.broker.selector;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.LongString;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.selector.filter.BooleanExpression;
import org.apache.activemq.artemis.selector.filter.FilterException;
import org.apache.activemq.artemis.selector.filter.Filterable;
import org.apache.activemq.artemis.selector.impl.SelectorParser;

/**
 * A JMS message selector (Jakarta Messaging §3.8) evaluated on an AMQP message, for a consumer that
 * takes only the messages of its queue that match ({@code x-filter-jms-selector}, the consume
 * argument Qpid's AMQP 0-9-1 broker reads too). Messages it does not take stay in the queue for
 * other consumers.
 *
 * <p>Names resolve as the WarrenMQ JMS provider maps JMS onto AMQP ({@code docs/jms-mapping.md}):
 * the selectable header fields from their AMQP properties, {@code JMSXUserID} and {@code JMSXAppID}
 * from {@code user_id} and {@code app_id}, any other name from the header of that name (text as
 * String, timestamps as milliseconds, decimals, tables and arrays as their text). A name the
 * message lacks is NULL, so a comparison with it is UNKNOWN and the message does not match.
 */
public final class JmsSelector implements Predicate<Message> {

  /** The consume argument that carries a selector. */
  public static final String ARGUMENT = "x-filter-jms-selector";

  private static final String TIMESTAMP_HEADER = "x-jms-timestamp";

  private final String text;
  private final BooleanExpression expression;

  private JmsSelector(String text, BooleanExpression expression) {
    this.text = text;
    this.expression = expression;
  }

  /**
   * Parses a selector.
   *
   * @throws IllegalArgumentException with the parser's reason when the text is not a selector
   */
  public static JmsSelector parse(String text) {
    try {
      return new JmsSelector(text, SelectorParser.parse(text));
    } catch (FilterException | RuntimeException e) {
      throw new IllegalArgumentException(
          "invalid JMS selector '" + text + "': " + e.getMessage(), e);
    }
  }

  public String text() {
    return text;
  }

  @Override
  public boolean test(Message message) {
    try {
      return expression.matches(new Fields(message.properties()));
    } catch (FilterException | RuntimeException e) {
      // A value the expression cannot compare (a type mismatch) makes the result UNKNOWN.
      return false;
    }
  }

  @Override
  public String toString() {
    return text;
  }

  private record Fields(BasicProperties p) implements Filterable {
    @Override
    public Object getProperty(SimpleString name) {
      String n = name.toString();
      return switch (n) {
        case "JMSDeliveryMode" ->
            p.deliveryMode() != null && p.deliveryMode() == 2 ? "PERSISTENT" : "NON_PERSISTENT";
        case "JMSPriority" -> p.priority() == null ? 4 : p.priority();
        case "JMSMessageID" -> p.messageId();
        case "JMSCorrelationID" -> p.correlationId();
        case "JMSType" -> p.type();
        case "JMSTimestamp" -> timestamp();
        case "JMSXUserID" -> p.userId();
        case "JMSXAppID" -> p.appId();
        default -> header(n);
      };
    }

    private long timestamp() {
      Map<String, Object> h = p.headers();
      if (h != null && h.get(TIMESTAMP_HEADER) instanceof Number ms) {
        return ms.longValue();
      }
      return p.timestamp() == null ? 0 : p.timestamp() * 1000;
    }

    private Object header(String name) {
      Map<String, Object> h = p.headers();
      Object v = h == null ? null : h.get(name);
      if (v == null
          || (v instanceof Number && !(v instanceof BigDecimal))
          || v instanceof Boolean
          || v instanceof String) {
        return v;
      }
      if (v instanceof LongString s) {
        return s.toString();
      }
      if (v instanceof byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
      }
      if (v instanceof Instant t) {
        return t.toEpochMilli();
      }
      return v.toString();
    }

    @Override
    public <T> T getBodyAs(Class<T> type) {
      return null;
    }

    @Override
    public Object getLocalConnectionId() {
      return null;
    }
  }
}
