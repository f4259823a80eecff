package io.warrenmq.jms.link;

import java.util.function.Consumer;

/**
 * One connection to a broker. It opens sessions and reports its own loss once, to the listener
 * given at creation, unless the loss followed {@link #close}.
 */
public interface BrokerLink extends AutoCloseable {

  /** Opens a new session (an AMQP channel). */
  LinkSession openSession() throws LinkException;

  /** Whether the link is still open. */
  boolean isOpen();

  /**
   * Whether the broker filters a consumer's queue by a JMS selector ({@code
   * x-filter-jms-selector}), leaving non-matching messages for other consumers. WarrenMQ does;
   * RabbitMQ does not.
   */
  boolean filtersConsumers();

  /** A short id of this link, unique in the broker, used to recognise its own messages. */
  String id();

  /** Sets who hears of the link's loss: called once, on a thread of the link's. */
  void onFailure(Consumer<LinkException> listener);

  @Override
  void close();
}
