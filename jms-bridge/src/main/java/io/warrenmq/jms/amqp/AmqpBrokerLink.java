package io.warrenmq.jms.amqp;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.net.URI;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/** A {@link BrokerLink} that is one AMQP connection made with the RabbitMQ Java client. */
public final class AmqpBrokerLink implements BrokerLink {

  private final Connection connection;
  private final String id = UUID.randomUUID().toString();
  private volatile Consumer<LinkException> failureListener = e -> {};

  private AmqpBrokerLink(Connection connection) {
    this.connection = connection;
    connection.addShutdownListener(
        cause -> {
          if (!cause.isInitiatedByApplication()) {
            failureListener.accept(AmqpErrors.toLinkException("connection lost", cause));
          }
        });
  }

  /**
   * Connects to {@code uri} ({@code amqp://user:pass@host:port/vhost}, or with several brokers
   * {@code amqp://user:pass@h1:5672,h2:5672/vhost}); {@code user} and {@code password}, when not
   * null, replace the URI's.
   */
  public static AmqpBrokerLink connect(URI uri, String user, String password, String clientName)
      throws LinkException {
    return connect(uri, null, user, password, clientName);
  }

  /**
   * The same, with the brokers to try given apart ({@code HOST[:PORT][,HOST[:PORT]…]}, null for the
   * URI's): the RabbitMQ Java client tries them until one answers, so a connection made after a
   * broker went away reaches another — a node of the same cluster, WarrenMQ's or RabbitMQ's.
   */
  public static AmqpBrokerLink connect(
      URI uri, String addresses, String user, String password, String clientName)
      throws LinkException {
    BrokerAddresses brokers;
    ConnectionFactory factory = new ConnectionFactory();
    try {
      brokers = BrokerAddresses.of(uri, addresses);
      factory.setUri(brokers.first());
    } catch (Exception e) {
      throw new LinkException("invalid broker URI " + uri + ": " + e.getMessage(), 0, e);
    }
    if (user != null) {
      factory.setUsername(user);
      factory.setPassword(password == null ? "" : password);
    }
    factory.setAutomaticRecoveryEnabled(false);
    factory.setTopologyRecoveryEnabled(false);
    factory.setConnectionTimeout(10_000);
    factory.setHandshakeTimeout(10_000);
    factory.setChannelRpcTimeout(30_000);
    try {
      return new AmqpBrokerLink(factory.newConnection(brokers.all(), clientName));
    } catch (Exception e) {
      throw AmqpErrors.toLinkException("cannot connect to " + brokers, e);
    }
  }

  @Override
  public boolean filtersConsumers() {
    return connection.getServerProperties().get("capabilities") instanceof Map<?, ?> capabilities
        && Boolean.TRUE.equals(capabilities.get("jms_selectors"));
  }

  @Override
  public LinkSession openSession() throws LinkException {
    try {
      com.rabbitmq.client.Channel channel = connection.createChannel();
      if (channel == null) {
        throw new LinkException("no channel left on the connection", 0, null);
      }
      return new AmqpLinkSession(connection, channel);
    } catch (ShutdownSignalException e) {
      throw AmqpErrors.toLinkException("cannot open a channel", e);
    } catch (java.io.IOException e) {
      throw AmqpErrors.toLinkException("cannot open a channel", e);
    }
  }

  @Override
  public boolean isOpen() {
    return connection.isOpen();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public void onFailure(Consumer<LinkException> listener) {
    this.failureListener = listener;
  }

  @Override
  public void close() {
    try {
      if (connection.isOpen()) {
        connection.close(10_000);
      }
    } catch (Exception ignored) {
      // closing a link that is already gone is not an error
    }
  }
}
