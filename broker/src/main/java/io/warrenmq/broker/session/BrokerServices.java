package io.warrenmq.broker.session;

import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.security.Authenticator;
import io.warrenmq.broker.vhost.VirtualHost;
import java.util.Map;

/**
 * What a connection needs from the broker: configuration, credentials, virtual hosts, the memory
 * account, and a registry to be found in when an alarm or shutdown reaches every connection.
 */
public interface BrokerServices extends io.warrenmq.broker.channel.Services {

  BrokerConfig config();

  Authenticator authenticator();

  /** Virtual hosts by name. */
  Map<String, VirtualHost> vhosts();

  @Override
  MemoryAccount memory();

  @Override
  default long queueBacklogBytes() {
    return config().limits().queueBacklogBytes();
  }

  /** Whether a resource alarm (memory or disk) is on now. */
  boolean memoryAlarm();

  /** The reason connection.blocked gives: {@code low on memory} or {@code low on disk}. */
  String alarmReason();

  @Override
  void whenSynced(io.warrenmq.broker.store.SyncListener listener);

  /**
   * Opens virtual host {@code name} for {@code user} (connection.open): the host must exist and the
   * user be allowed in, with RabbitMQ's codes and texts otherwise. AMQP and in-VM logins share it.
   */
  default VirtualHost openVhost(String user, String name) throws AmqpException {
    VirtualHost v = vhosts().get(name);
    if (v == null) {
      throw AmqpException.connection(ReplyCode.NOT_ALLOWED, "vhost %s not found", name);
    }
    if (!authenticator().mayAccess(user, name)) {
      throw AmqpException.connection(
          ReplyCode.ACCESS_REFUSED, "access to vhost '%s' refused for user '%s'", name, user);
    }
    return v;
  }

  void register(AmqpConnection connection);

  void unregister(AmqpConnection connection);
}
