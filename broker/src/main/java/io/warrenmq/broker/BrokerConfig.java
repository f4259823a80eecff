package io.warrenmq.broker;

import io.warrenmq.broker.cluster.ClusterSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a broker is started with. {@link #defaults()} is RabbitMQ's out-of-the-box setup: port
 * 5672 on every interface, vhost {@code /}, user {@code guest}/{@code guest} allowed from loopback
 * only.
 *
 * @param host the address to listen on
 * @param port the port to listen on; 0 picks a free one ({@link Broker#port()} tells which)
 * @param dataDir where durable state lives
 * @param users users by name
 * @param vhosts the virtual hosts that exist at start
 * @param permissions per user, the vhosts they may use
 * @param limits protocol and resource limits
 * @param name the name under which clients in the same JVM find the running broker ({@link
 *     LocalBrokers}); {@code default} unless set
 * @param tls the AMQPS listener, or null for none
 * @param cluster this node's place in a cluster, or null for a broker of its own
 */
public record BrokerConfig(
    String host,
    int port,
    Path dataDir,
    Map<String, User> users,
    Set<String> vhosts,
    Map<String, Set<String>> permissions,
    Limits limits,
    String name,
    Tls tls,
    ClusterSettings cluster) {

  /** The name a broker has in its JVM unless configured otherwise. */
  public static final String DEFAULT_NAME = "default";

  /** The configuration without a name, which is then {@value #DEFAULT_NAME}. */
  public BrokerConfig(
      String host,
      int port,
      Path dataDir,
      Map<String, User> users,
      Set<String> vhosts,
      Map<String, Set<String>> permissions,
      Limits limits) {
    this(host, port, dataDir, users, vhosts, permissions, limits, DEFAULT_NAME, null, null);
  }

  /**
   * An AMQP-over-TLS listener (AMQPS, RabbitMQ's port 5671) beside the plain one, with the server's
   * key and certificate chain from a PKCS#12 keystore (as {@code keytool} or {@code openssl pkcs12}
   * make them).
   *
   * @param port the port; 0 picks a free one ({@link Broker#tlsPort()} tells which)
   */
  public record Tls(int port, Path keystore, String password) {}

  /**
   * A user.
   *
   * @param loopbackOnly whether the user may only connect from a loopback address, as RabbitMQ's
   *     {@code loopback_users} does for {@code guest}
   */
  public record User(String name, String password, List<String> tags, boolean loopbackOnly) {}

  /**
   * Protocol and resource limits.
   *
   * @param frameMax the largest frame the broker accepts and offers in connection.tune
   * @param channelMax the most channels a connection may open
   * @param heartbeatSeconds the heartbeat interval the broker proposes; 0 turns heartbeats off
   * @param maxMessageSize the largest message body accepted, in octets
   * @param memoryHighWatermark the fraction of the heap that message bodies may fill before
   *     publishers are blocked with connection.blocked
   * @param queueBacklogBytes how many octets of ready messages a queue holds in memory before its
   *     publishers' connections stop being read (queues page out to the store long before that)
   * @param diskFreeLimit free octets under the data directory below which publishers are blocked
   * @param sendTimeoutMillis how long writes to a client may make no progress (it has stopped
   *     reading) before its connection is closed, as RabbitMQ's {@code send_timeout} does
   */
  public record Limits(
      int frameMax,
      int channelMax,
      int heartbeatSeconds,
      int maxMessageSize,
      double memoryHighWatermark,
      long queueBacklogBytes,
      long diskFreeLimit,
      long sendTimeoutMillis) {

    /** RabbitMQ's default disk free limit: 50 MB. */
    public static final long DEFAULT_DISK_FREE_LIMIT = 50_000_000L;

    /** RabbitMQ's default send timeout (its socket library's): 30 s. */
    public static final long DEFAULT_SEND_TIMEOUT_MILLIS = 30_000L;

    public Limits(
        int frameMax,
        int channelMax,
        int heartbeatSeconds,
        int maxMessageSize,
        double memoryHighWatermark,
        long queueBacklogBytes,
        long diskFreeLimit) {
      this(
          frameMax,
          channelMax,
          heartbeatSeconds,
          maxMessageSize,
          memoryHighWatermark,
          queueBacklogBytes,
          diskFreeLimit,
          DEFAULT_SEND_TIMEOUT_MILLIS);
    }

    public Limits(
        int frameMax,
        int channelMax,
        int heartbeatSeconds,
        int maxMessageSize,
        double memoryHighWatermark,
        long queueBacklogBytes) {
      this(
          frameMax,
          channelMax,
          heartbeatSeconds,
          maxMessageSize,
          memoryHighWatermark,
          queueBacklogBytes,
          DEFAULT_DISK_FREE_LIMIT);
    }

    public static Limits defaults() {
      return new Limits(131_072, 2047, 60, 128 * 1024 * 1024, 0.4, 256L * 1024 * 1024);
    }

    public Limits withDiskFreeLimit(long bytes) {
      return new Limits(
          frameMax,
          channelMax,
          heartbeatSeconds,
          maxMessageSize,
          memoryHighWatermark,
          queueBacklogBytes,
          bytes,
          sendTimeoutMillis);
    }

    public Limits withSendTimeoutMillis(long millis) {
      return new Limits(
          frameMax,
          channelMax,
          heartbeatSeconds,
          maxMessageSize,
          memoryHighWatermark,
          queueBacklogBytes,
          diskFreeLimit,
          millis);
    }
  }

  public static BrokerConfig defaults() {
    return new BrokerConfig(
        "0.0.0.0",
        5672,
        Path.of("data"),
        Map.of("guest", new User("guest", "guest", List.of("administrator"), true)),
        Set.of("/"),
        Map.of("guest", Set.of("/")),
        Limits.defaults());
  }

  public BrokerConfig withHost(String host) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withPort(int port) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withDataDir(Path dataDir) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withUsers(Map<String, User> users) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withVhosts(Set<String> vhosts) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withPermissions(Map<String, Set<String>> permissions) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withLimits(Limits limits) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withName(String name) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withTls(Tls tls) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }

  public BrokerConfig withCluster(ClusterSettings cluster) {
    return new BrokerConfig(
        host, port, dataDir, users, vhosts, permissions, limits, name, tls, cluster);
  }
}
