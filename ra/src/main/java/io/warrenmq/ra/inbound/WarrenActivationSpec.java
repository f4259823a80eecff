package io.warrenmq.ra.inbound;

import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.InvalidPropertyException;
import jakarta.resource.spi.ResourceAdapter;
import java.beans.IntrospectionException;
import java.beans.PropertyDescriptor;
import java.util.ArrayList;
import java.util.List;

/**
 * How a message-driven bean ({@code jakarta.jms.MessageListener}) consumes: the standard JMS
 * activation config properties plus {@code prefetch}, the AMQP {@code exchange} and {@code
 * bindingKey}, and the redelivery limit with its dead-letter queue. The container sets the
 * properties from {@code @ActivationConfigProperty} (or the deployment descriptor) and {@link
 * #validate} turns mistakes into deployment errors that name the property.
 */
public class WarrenActivationSpec implements ActivationSpec {
  public static final String QUEUE = "jakarta.jms.Queue";
  public static final String TOPIC = "jakarta.jms.Topic";
  public static final String DURABLE = "Durable";
  public static final String NON_DURABLE = "NonDurable";
  public static final String AUTO_ACKNOWLEDGE = "Auto-acknowledge";
  public static final String DUPS_OK_ACKNOWLEDGE = "Dups-ok-acknowledge";

  private ResourceAdapter resourceAdapter;
  private String destination;
  private String destinationLookup;
  private String destinationType = QUEUE;
  private String messageSelector;
  private String acknowledgeMode = AUTO_ACKNOWLEDGE;
  private String subscriptionDurability = NON_DURABLE;
  private String subscriptionName;
  private String clientId;
  private int maxSession = 4;
  private int prefetch = 4;
  private String exchange;
  private String bindingKey;
  private int maxRedeliveries = 5;
  private String deadLetterQueue = "DLQ";
  private String user;
  private String password;

  /**
   * Checks the properties together.
   *
   * @throws InvalidPropertyException naming every invalid property and why
   */
  @Override
  public void validate() throws InvalidPropertyException {
    List<String> problems = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    if (blank(destination)) {
      problem(problems, invalid, "destination", "is required (a queue or topic name)");
    }
    String type = normalizedType();
    if (type == null) {
      problem(
          problems,
          invalid,
          "destinationType",
          "must be jakarta.jms.Queue or jakarta.jms.Topic, not '" + destinationType + "'");
    }
    if (!AUTO_ACKNOWLEDGE.equalsIgnoreCase(acknowledgeMode)
        && !DUPS_OK_ACKNOWLEDGE.equalsIgnoreCase(acknowledgeMode)) {
      problem(
          problems,
          invalid,
          "acknowledgeMode",
          "must be Auto-acknowledge or Dups-ok-acknowledge, not '" + acknowledgeMode + "'");
    }
    boolean durable = DURABLE.equalsIgnoreCase(subscriptionDurability);
    if (!durable && !NON_DURABLE.equalsIgnoreCase(subscriptionDurability)) {
      problem(
          problems,
          invalid,
          "subscriptionDurability",
          "must be Durable or NonDurable, not '" + subscriptionDurability + "'");
    }
    if (durable && QUEUE.equals(type)) {
      problem(problems, invalid, "subscriptionDurability", "Durable applies to topics only");
    }
    if (durable && blank(subscriptionName)) {
      problem(
          problems, invalid, "subscriptionName", "is required for a Durable topic subscription");
    }
    if (maxSession < 1) {
      problem(problems, invalid, "maxSession", "must be at least 1, not " + maxSession);
    }
    if (prefetch < 1) {
      problem(problems, invalid, "prefetch", "must be at least 1, not " + prefetch);
    }
    if (maxRedeliveries < 0) {
      problem(problems, invalid, "maxRedeliveries", "must be 0 or more, not " + maxRedeliveries);
    }
    if (blank(deadLetterQueue)) {
      problem(problems, invalid, "deadLetterQueue", "must name a queue");
    }
    if (!blank(bindingKey) && blank(exchange)) {
      problem(problems, invalid, "bindingKey", "needs an exchange to bind to");
    }
    if (!problems.isEmpty()) {
      InvalidPropertyException e =
          new InvalidPropertyException(
              "WARRENRA0010 invalid activation config: " + String.join("; ", problems));
      e.setInvalidPropertyDescriptors(descriptors(invalid));
      throw e;
    }
  }

  private static void problem(
      List<String> problems, List<String> invalid, String property, String why) {
    problems.add(property + " " + why);
    if (!invalid.contains(property)) {
      invalid.add(property);
    }
  }

  private static PropertyDescriptor[] descriptors(List<String> names) {
    List<PropertyDescriptor> list = new ArrayList<>();
    for (String name : names) {
      try {
        list.add(new PropertyDescriptor(name, WarrenActivationSpec.class));
      } catch (IntrospectionException e) {
        // only our own property names are passed in; a mismatch just leaves the descriptor out
      }
    }
    return list.toArray(PropertyDescriptor[]::new);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /** jakarta.jms.Queue or jakarta.jms.Topic (javax and short names accepted), else null. */
  String normalizedType() {
    if (destinationType == null) {
      return null;
    }
    return switch (destinationType.trim()) {
      case QUEUE, "javax.jms.Queue", "Queue", "queue" -> QUEUE;
      case TOPIC, "javax.jms.Topic", "Topic", "topic" -> TOPIC;
      default -> null;
    };
  }

  boolean isTopic() {
    return TOPIC.equals(normalizedType());
  }

  boolean isDurable() {
    return DURABLE.equalsIgnoreCase(subscriptionDurability);
  }

  @Override
  public ResourceAdapter getResourceAdapter() {
    return resourceAdapter;
  }

  @Override
  public void setResourceAdapter(ResourceAdapter resourceAdapter) {
    this.resourceAdapter = resourceAdapter;
  }

  // ---- activation config properties ---------------------------------------------------------

  public String getDestination() {
    return destination;
  }

  public void setDestination(String destination) {
    this.destination = destination;
  }

  /** Jakarta Messaging 2.0's name for the destination; a plain name is taken as the destination. */
  public String getDestinationLookup() {
    return destinationLookup;
  }

  public void setDestinationLookup(String destinationLookup) {
    this.destinationLookup = destinationLookup;
    if (blank(destination) && !blank(destinationLookup)) {
      this.destination = destinationLookup;
    }
  }

  public String getDestinationType() {
    return destinationType;
  }

  public void setDestinationType(String destinationType) {
    this.destinationType = destinationType;
  }

  public String getMessageSelector() {
    return messageSelector;
  }

  public void setMessageSelector(String messageSelector) {
    this.messageSelector = messageSelector;
  }

  public String getAcknowledgeMode() {
    return acknowledgeMode;
  }

  public void setAcknowledgeMode(String acknowledgeMode) {
    this.acknowledgeMode = acknowledgeMode;
  }

  public String getSubscriptionDurability() {
    return subscriptionDurability;
  }

  public void setSubscriptionDurability(String subscriptionDurability) {
    this.subscriptionDurability = subscriptionDurability;
  }

  public String getSubscriptionName() {
    return subscriptionName;
  }

  public void setSubscriptionName(String subscriptionName) {
    this.subscriptionName = subscriptionName;
  }

  public String getClientId() {
    return clientId;
  }

  public void setClientId(String clientId) {
    this.clientId = clientId;
  }

  public Integer getMaxSession() {
    return maxSession;
  }

  public void setMaxSession(Integer maxSession) {
    this.maxSession = maxSession;
  }

  public Integer getPrefetch() {
    return prefetch;
  }

  public void setPrefetch(Integer prefetch) {
    this.prefetch = prefetch;
  }

  public String getExchange() {
    return exchange;
  }

  public void setExchange(String exchange) {
    this.exchange = exchange;
  }

  public String getBindingKey() {
    return bindingKey;
  }

  public void setBindingKey(String bindingKey) {
    this.bindingKey = bindingKey;
  }

  public Integer getMaxRedeliveries() {
    return maxRedeliveries;
  }

  public void setMaxRedeliveries(Integer maxRedeliveries) {
    this.maxRedeliveries = maxRedeliveries;
  }

  public String getDeadLetterQueue() {
    return deadLetterQueue;
  }

  public void setDeadLetterQueue(String deadLetterQueue) {
    this.deadLetterQueue = deadLetterQueue;
  }

  public String getUser() {
    return user;
  }

  public void setUser(String user) {
    this.user = user;
  }

  public String getPassword() {
    return password;
  }

  public void setPassword(String password) {
    this.password = password;
  }

  @Override
  public String toString() {
    return (isTopic() ? "topic " : "queue ") + destination;
  }
}
