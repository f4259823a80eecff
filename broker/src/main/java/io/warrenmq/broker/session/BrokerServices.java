package io.warrenmq.broker.session;

import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.security.Authenticator;
import io.warrenmq.broker.vhost.VirtualHost;
import java.util.Map;

/**
 * What a connection needs from the broker: configuration, credentials, virtual hosts, the memory
 * account, and a registry to be found in when an alarm or shutdown reaches every connection.
 */
public interface BrokerServices {

  BrokerConfig config();

  Authenticator authenticator();

  /** Virtual hosts by name. */
  Map<String, VirtualHost> vhosts();

  MemoryAccount memory();

  /** Whether a resource alarm (memory or disk) is on now. */
  boolean memoryAlarm();

  /** The reason connection.blocked gives: {@code low on memory} or {@code low on disk}. */
  String alarmReason();

  /** Calls back once every store write made so far is committed and synced. */
  void whenSynced(io.warrenmq.broker.store.SyncListener listener);

  void register(AmqpConnection connection);

  void unregister(AmqpConnection connection);
}
