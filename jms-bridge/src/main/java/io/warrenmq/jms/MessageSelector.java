package io.warrenmq.jms;

import io.warrenmq.jms.message.WarrenMessage;
import jakarta.jms.DeliveryMode;
import jakarta.jms.InvalidSelectorException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.selector.filter.BooleanExpression;
import org.apache.activemq.artemis.selector.filter.FilterException;
import org.apache.activemq.artemis.selector.filter.Filterable;
import org.apache.activemq.artemis.selector.impl.SelectorParser;

/**
 * A JMS message selector (§3.8), parsed and evaluated by Artemis's selector parser. The provider
 * selects from messages already delivered for a subscription (its queue is its own, so a message
 * that does not match is acknowledged and gone, as if never routed to it) and for browsers. A queue
 * shared with other consumers must keep what does not match, so a queue consumer's selector goes to
 * the broker instead ({@code x-filter-jms-selector}, evaluated on the same AMQP fields).
 */
final class MessageSelector {
  private final String text;
  private final BooleanExpression expression;

  private MessageSelector(String text, BooleanExpression expression) {
    this.text = text;
    this.expression = expression;
  }

  /** The selector of {@code text}, or null when there is none (null or blank). */
  static MessageSelector parse(String text) throws InvalidSelectorException {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return new MessageSelector(text, SelectorParser.parse(text));
    } catch (FilterException | RuntimeException e) {
      InvalidSelectorException failure =
          new InvalidSelectorException(
              "invalid message selector '" + text + "': " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  String text() {
    return text;
  }

  boolean matches(WarrenMessage m) {
    try {
      return expression.matches(new Fields(m));
    } catch (FilterException | RuntimeException e) {
      return false;
    }
  }

  /** The values a selector can name: the selectable header fields and the properties. */
  private record Fields(WarrenMessage m) implements Filterable {
    @Override
    public Object getProperty(SimpleString name) {
      String n = name.toString();
      Object v =
          switch (n) {
            case "JMSDeliveryMode" ->
                m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT ? "PERSISTENT" : "NON_PERSISTENT";
            case "JMSPriority" -> m.getJMSPriority();
            case "JMSMessageID" -> m.getJMSMessageID();
            case "JMSTimestamp" -> m.getJMSTimestamp();
            case "JMSCorrelationID" -> m.getJMSCorrelationID();
            case "JMSType" -> m.getJMSType();
            default -> m.getObjectProperty(n);
          };
      return v;
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
