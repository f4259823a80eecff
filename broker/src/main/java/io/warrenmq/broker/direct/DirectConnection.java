package io.warrenmq.broker.direct;

import io.warrenmq.broker.Broker;
import io.warrenmq.broker.LocalBrokers;
import io.warrenmq.broker.channel.Channel;
import io.warrenmq.broker.channel.DeliveryExecutor;
import io.warrenmq.broker.channel.DeliverySink;
import io.warrenmq.broker.channel.ExclusiveQueues;
import io.warrenmq.broker.channel.Owner;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.security.Authenticator;
import io.warrenmq.broker.vhost.VirtualHost;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * A connection from inside the broker's JVM (RabbitMQ's direct connection): a PLAIN login, a
 * virtual host, channels on the channel core, and the exclusive queues they declare, deleted when
 * it closes. The broker's shutdown closes it too.
 */
public final class DirectConnection implements Owner {

  private final Broker broker;
  private final VirtualHost vhost;
  private final String user;
  private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
  private final ExclusiveQueues exclusiveQueues = new ExclusiveQueues();
  private final Runnable brokerClosing = this::brokerClosing;
  private final Runnable onBrokerShutdown;
  private volatile boolean open = true;
  private final String ownerId = io.warrenmq.broker.vhost.QueueOwner.newId();

  private DirectConnection(
      Broker broker, VirtualHost vhost, String user, Runnable onBrokerShutdown) {
    this.broker = broker;
    this.vhost = vhost;
    this.user = user;
    this.onBrokerShutdown = onBrokerShutdown;
  }

  /**
   * Logs in with PLAIN and opens {@code vhostName}, with RabbitMQ's refusal texts.
   *
   * @param onBrokerShutdown runs, on the thread stopping the broker, once the broker's shutdown has
   *     closed this connection
   * @return the connection, or null when the broker is already shutting down
   */
  public static DirectConnection open(
      Broker broker, String user, String password, String vhostName, Runnable onBrokerShutdown)
      throws AmqpException {
    byte[] response = ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8);
    Authenticator.Result result = broker.authenticator().authenticate("PLAIN", response, null);
    if (!result.ok()) {
      throw AmqpException.connection(
          ReplyCode.ACCESS_REFUSED,
          "Login was refused using authentication mechanism PLAIN. For details see the broker"
              + " logfile.");
    }
    VirtualHost vhost = broker.openVhost(user, vhostName);
    DirectConnection c = new DirectConnection(broker, vhost, user, onBrokerShutdown);
    return LocalBrokers.whenClosed(broker, c.brokerClosing) ? c : null;
  }

  /** Opens a channel; null when the connection is closed. */
  public Channel openChannel(DeliverySink sink, DeliveryExecutor deliveries, Executor confirms) {
    Channel channel = new Channel(vhost, broker, this, sink, deliveries, confirms);
    channels.add(channel);
    if (!isOpen()) {
      channel.close();
      channels.remove(channel);
      return null;
    }
    return channel;
  }

  /** Closes a channel of this connection's (its consumers leave, unacked messages go back). */
  public void closeChannel(Channel channel) {
    channel.close();
    channels.remove(channel);
  }

  /**
   * Closes the channels and deletes the exclusive queues.
   *
   * @return whether this call closed it (false: it was closed already)
   */
  public boolean close() {
    if (release()) {
      LocalBrokers.forget(broker, brokerClosing);
      return true;
    }
    return false;
  }

  private void brokerClosing() {
    if (release()) {
      onBrokerShutdown.run();
    }
  }

  private synchronized boolean release() {
    if (!open) {
      return false;
    }
    open = false;
    for (Channel c : channels) {
      c.close();
    }
    channels.clear();
    exclusiveQueues.deleteAll(vhost);
    return true;
  }

  /** Without the lock: a delivery thread may ask while {@link #close} waits for it. */
  public boolean isOpen() {
    return open;
  }

  public Broker broker() {
    return broker;
  }

  public VirtualHost vhost() {
    return vhost;
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public String ownerId() {
    return ownerId;
  }

  @Override
  public ExclusiveQueues exclusiveQueues() {
    return exclusiveQueues;
  }

  /** Direct publishers are not paused by a queue's backlog: the queue pages instead. */
  @Override
  public void backlogDrained(Queue queue) {}
}
