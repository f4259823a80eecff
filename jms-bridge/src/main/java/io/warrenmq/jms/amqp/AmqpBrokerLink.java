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
   * Connects to {@code uri} ({@code amqp://user:pass@host:port/vhost}); {@code user} and {@code
   * password}, when not null, replace the URI's.
   */
  public static AmqpBrokerLink connect(URI uri, String user, String password, String clientName)
      throws LinkException {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(uri);
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
      return new AmqpBrokerLink(factory.newConnection(clientName));
    } catch (Exception e) {
      throw AmqpErrors.toLinkException("cannot connect to " + factory.getHost(), e);
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
