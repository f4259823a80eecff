package io.warrenmq.broker;

import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.warrenmq.broker.cluster.ClusterNode;
import io.warrenmq.broker.cluster.ClusterTopology;
import io.warrenmq.broker.cluster.Forwarding;
import io.warrenmq.broker.cluster.QuorumQueues;
import io.warrenmq.broker.cluster.RemoteConsumers;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.security.Authenticator;
import io.warrenmq.broker.session.AmqpConnection;
import io.warrenmq.broker.session.BrokerServices;
import io.warrenmq.broker.store.RecoveryVisitor;
import io.warrenmq.broker.store.SyncListener;
import io.warrenmq.broker.store.h2.H2Store;
import io.warrenmq.broker.transport.AmqpServer;
import io.warrenmq.broker.vhost.TopologyLog;
import io.warrenmq.broker.vhost.VirtualHost;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A running broker: the listener, the virtual hosts and the broker-wide watchers (memory alarm).
 * Start one with {@link #start}; {@link #close} closes every connection with 320 CONNECTION_FORCED,
 * as RabbitMQ does on shutdown.
 */
public final class Broker implements AutoCloseable, BrokerServices {

  private static final System.Logger LOG = System.getLogger("io.warrenmq.broker");
  private static final long MEMORY_CHECK_MILLIS = 100;

  private static final long DISK_CHECK_MILLIS = 1000;

  private final BrokerConfig config;
  private final H2Store store;
  private final Authenticator authenticator;
  private final Map<String, VirtualHost> vhosts = new ConcurrentHashMap<>();
  private final MemoryAccount memory = new MemoryAccount();
  private final Set<AmqpConnection> connections = ConcurrentHashMap.newKeySet();

  /** Queue expiry (head messages, x-expires leases); one daemon thread, stopped by close. */
  private final java.util.concurrent.ScheduledExecutorService timers =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "warren-timers");
            t.setDaemon(true);
            return t;
          });

  private final long memoryLimit;
  private volatile boolean memoryAlarm;
  private final Object alarmCleared = new Object();
  private volatile boolean diskAlarm;
  private AmqpServer server;
  private final ClusterTopology topology;
  private ClusterNode cluster;
  private RemoteConsumers remoteConsumers;
  private QuorumQueues quorumQueues;
  private ScheduledFuture<?> memoryCheck;
  private ScheduledFuture<?> diskCheck;

  private Broker(BrokerConfig config) {
    this.config = config;
    this.topology =
        config.cluster() == null
            ? null
            : new ClusterTopology(config.cluster(), vhosts::get, vhosts::values);
    this.memoryLimit =
        (long) (Runtime.getRuntime().maxMemory() * config.limits().memoryHighWatermark());
    this.store =
        H2Store.open(config.dataDir(), memory, H2Store.PagingLimits.forWatermark(memoryLimit));
    Map<String, BrokerConfig.User> users = new LinkedHashMap<>();
    Map<String, Set<String>> permissions = new LinkedHashMap<>();
    try {
      store.recover(new Recovery(users, permissions));
      for (String name : config.vhosts()) {
        vhost(name);
      }
      users.putAll(config.users());
      permissions.putAll(config.permissions());
      store.saveVhostsAndUsers(vhosts.keySet(), users, permissions);
    } catch (RuntimeException e) {
      // Nothing of a failed start is written back: a damaged store stays exactly as it was.
      timers.shutdownNow();
      store.closeImmediately();
      throw e instanceof io.warrenmq.broker.store.StoreException
          ? e
          : new io.warrenmq.broker.store.StoreException(
              "cannot recover from the message store " + store.file() + ": " + e, e);
    }
    this.authenticator = new Authenticator(users, permissions);
  }

  private VirtualHost vhost(String name) {
    return vhosts.computeIfAbsent(
        name,
        n ->
            new VirtualHost(
                n,
                config.limits().queueBacklogBytes(),
                store,
                timers,
                topology == null ? TopologyLog.LOCAL : topology));
  }

  /**
   * Starts this node's cluster membership and waits until it holds the cluster's definitions (or
   * the cluster's timeout passes: a node without a majority still starts, and refuses changes).
   */
  private void joinCluster() throws InterruptedException {
    quorumQueues = new QuorumQueues(config.cluster().node(), memory, topology);
    vhosts.values().forEach(v -> v.replicateWith(quorumQueues));
    try {
      cluster = ClusterNode.start(config.cluster(), config.dataDir(), topology, quorumQueues);
    } catch (java.io.IOException | RuntimeException e) {
      timers.shutdownNow();
      store.close();
      throw new java.io.UncheckedIOException(
          "cannot start cluster node "
              + config.cluster().node()
              + " on cluster port "
              + config.cluster().host()
              + ":"
              + config.cluster().port()
              + ": "
              + e.getMessage(),
          e instanceof java.io.IOException io ? io : new java.io.IOException(e));
    }
    topology.attach(cluster);
    Forwarding forwarding = new Forwarding(cluster, vhosts::get, memory, store::whenSynced);
    remoteConsumers = new RemoteConsumers(cluster, forwarding, vhosts::get, this);
    cluster.answer(forwarding::receive);
    vhosts.values().forEach(v -> v.forwardTo(forwarding));
    try {
      cluster.catchUp();
      vhosts.values().forEach(VirtualHost::dropTransientQueues);
    } catch (java.util.concurrent.TimeoutException e) {
      LOG.log(
          Level.WARNING,
          "node {0} could not reach a majority of its cluster: it serves what it has applied and"
              + " refuses changes until it can",
          config.cluster().node());
    } finally {
      quorumQueues.caughtUp();
      remoteConsumers.announceStart();
    }
  }

  /** This node's cluster membership, or null for a broker of its own. */
  public ClusterNode cluster() {
    return cluster;
  }

  /** Rebuilds the durable state the store hands back. */
  private final class Recovery implements RecoveryVisitor {
    private final Map<String, BrokerConfig.User> users;
    private final Map<String, Set<String>> permissions;

    Recovery(Map<String, BrokerConfig.User> users, Map<String, Set<String>> permissions) {
      this.users = users;
      this.permissions = permissions;
    }

    @Override
    public void vhost(String name) {
      Broker.this.vhost(name);
    }

    @Override
    public void user(
        String name, String password, List<String> tags, boolean loopbackOnly, Set<String> v) {
      users.put(name, new BrokerConfig.User(name, password, tags, loopbackOnly));
      permissions.put(name, new LinkedHashSet<>(v));
    }

    @Override
    public void exchange(
        String vhost,
        String name,
        String type,
        boolean autoDelete,
        boolean internal,
        Map<String, Object> arguments) {
      Broker.this.vhost(vhost).restoreExchange(name, type, autoDelete, internal, arguments);
    }

    @Override
    public void queue(
        String vhost,
        String name,
        boolean autoDelete,
        Map<String, Object> arguments,
        QueueStorage storage) {
      queue(vhost, name, autoDelete, arguments, storage, 0);
    }

    @Override
    public void queue(
        String vhost,
        String name,
        boolean autoDelete,
        Map<String, Object> arguments,
        QueueStorage storage,
        long incarnation) {
      Broker.this.vhost(vhost).restoreQueue(name, autoDelete, arguments, storage, incarnation);
    }

    @Override
    public void binding(
        String vhost,
        String source,
        String destination,
        boolean toQueue,
        String routingKey,
        Map<String, Object> arguments) {
      Broker.this.vhost(vhost).restoreBinding(source, destination, toQueue, routingKey, arguments);
    }
  }

  /**
   * Opens the store under the data directory, recovers durable state, and returns once the broker
   * listens.
   *
   * @throws io.warrenmq.broker.store.StoreException when the store cannot be opened
   * @throws java.io.UncheckedIOException when the port cannot be listened on (the store is closed
   *     again)
   */
  public static Broker start(BrokerConfig config) throws InterruptedException {
    Broker broker = new Broker(config);
    if (config.cluster() != null) {
      broker.joinCluster();
    }
    try {
      broker.server =
          AmqpServer.start(
              config.host(),
              config.port(),
              config.tls() == null ? null : TlsContexts.server(config.tls()),
              config.tls() == null ? 0 : config.tls().port(),
              config.limits().sendTimeoutMillis(),
              () -> new AmqpConnection(broker),
              (ChannelHandler c) -> ((AmqpConnection) c).protocolHeaderAccepted());
    } catch (Exception e) { // Netty rethrows a failed bind's IOException undeclared
      broker.timers.shutdownNow();
      if (broker.cluster != null) {
        broker.cluster.close();
      }
      broker.store.close();
      if (e instanceof java.io.IOException io) {
        throw new java.io.UncheckedIOException(
            "cannot listen on " + config.host() + ":" + config.port() + ": " + io.getMessage(), io);
      }
      throw e;
    }
    LOG.log(
        Level.INFO,
        "store {0} opened: {1} vhosts, {2,number,#} durable queues with {3,number,#} messages recovered",
        broker.store.file(),
        broker.vhosts.size(),
        broker.vhosts.values().stream().mapToLong(v -> v.queues().size()).sum(),
        broker.vhosts.values().stream()
            .flatMap(v -> v.queues().stream())
            .mapToLong(io.warrenmq.broker.queue.Queue::messageCount)
            .sum());
    broker.diskCheck =
        broker
            .server
            .workers()
            .next()
            .scheduleAtFixedRate(broker::checkDisk, 0, DISK_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    broker.memoryCheck =
        broker
            .server
            .workers()
            .next()
            .scheduleAtFixedRate(
                broker::checkMemory,
                MEMORY_CHECK_MILLIS,
                MEMORY_CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
    LOG.log(
        Level.INFO,
        "WarrenMQ listening for AMQP 0-9-1 on {0}:{1,number,#} (memory high watermark {2,number,#} MiB)",
        config.host(),
        broker.port(),
        broker.memoryLimit / (1024 * 1024));
    if (config.tls() != null) {
      LOG.log(
          Level.INFO,
          "WarrenMQ listening for AMQP 0-9-1 over TLS on {0}:{1,number,#}",
          config.host(),
          broker.tlsPort());
    }
    LocalBrokers.register(config.name(), broker);
    return broker;
  }

  /** The port the broker listens on. */
  public int port() {
    return server.localAddress().getPort();
  }

  /** The AMQPS port, or -1 when the broker has no TLS listener. */
  public int tlsPort() {
    java.net.InetSocketAddress a = server.tlsAddress();
    return a == null ? -1 : a.getPort();
  }

  private void checkDisk() {
    long free;
    try {
      free = Files.getFileStore(config.dataDir()).getUsableSpace();
    } catch (IOException e) {
      return;
    }
    boolean low = free < config.limits().diskFreeLimit();
    if (low != diskAlarm) {
      boolean before = alarm();
      diskAlarm = low;
      LOG.log(
          low ? Level.WARNING : Level.INFO,
          low
              ? "disk alarm set: {0,number,#} MB free under {1}, below the limit of {2,number,#} MB; publishers are"
                  + " blocked"
              : "disk alarm cleared: {0,number,#} MB free under {1}, limit {2,number,#} MB",
          free / 1_000_000,
          config.dataDir().toAbsolutePath(),
          config.limits().diskFreeLimit() / 1_000_000);
      notifyAlarm(before);
    }
  }

  private boolean alarm() {
    return memoryAlarm || diskAlarm;
  }

  private void notifyAlarm(boolean before) {
    boolean now = alarm();
    if (now != before) {
      for (AmqpConnection c : connections) {
        c.memoryAlarm(now);
      }
      if (!now) {
        synchronized (alarmCleared) {
          alarmCleared.notifyAll();
        }
      }
    }
  }

  /**
   * Holds an in-process publisher (the in-VM JMS transport) while a memory or disk alarm is set, as
   * a network publisher's connection is blocked, until the alarm clears or {@code keepWaiting}
   * turns false (looked at every 100 ms, so that a closing session is not held).
   */
  public void awaitNoAlarm(BooleanSupplier keepWaiting) throws InterruptedException {
    if (!alarm()) {
      return;
    }
    synchronized (alarmCleared) {
      while (alarm() && keepWaiting.getAsBoolean()) {
        alarmCleared.wait(100);
      }
    }
  }

  private void checkMemory() {
    boolean over = memory.bytes() > memoryLimit;
    if (over != memoryAlarm) {
      boolean before = alarm();
      memoryAlarm = over;
      LOG.log(
          over ? Level.WARNING : Level.INFO,
          over
              ? "memory alarm set: messages hold {0,number,#} MiB, above the high watermark of {1,number,#} MiB;"
                  + " publishers are blocked"
              : "memory alarm cleared: messages hold {0,number,#} MiB, below {1,number,#} MiB",
          memory.bytes() / (1024 * 1024),
          memoryLimit / (1024 * 1024));
      notifyAlarm(before);
    }
  }

  /**
   * Stops accepting connections, closes every open one with 320 CONNECTION_FORCED and releases
   * resources.
   */
  @Override
  public void close() {
    if (server == null) {
      return;
    }
    LOG.log(Level.INFO, "shutting down: closing {0} connections", connections.size());
    // In-VM clients go first, so that what they held is back in its queues before those close.
    LocalBrokers.unregister(config.name(), this);
    server.stopAccepting();
    memoryCheck.cancel(false);
    diskCheck.cancel(false);
    for (AmqpConnection c : connections) {
      c.shutdown(
          ReplyCode.CONNECTION_FORCED.code(),
          "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (!connections.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    server.close();
    server = null;
    for (VirtualHost v : vhosts.values()) {
      v.queues().forEach(Queue::close);
    }
    if (cluster != null) {
      topology.close();
      remoteConsumers.close();
      quorumQueues.close();
      cluster.close();
    }
    timers.shutdownNow();
    store.close();
    LOG.log(Level.INFO, "stopped");
  }

  // ------------------------------------------------------------------ BrokerServices

  @Override
  public BrokerConfig config() {
    return config;
  }

  @Override
  public Authenticator authenticator() {
    return authenticator;
  }

  @Override
  public Map<String, VirtualHost> vhosts() {
    return vhosts;
  }

  @Override
  public MemoryAccount memory() {
    return memory;
  }

  @Override
  public boolean memoryAlarm() {
    return alarm();
  }

  @Override
  public String alarmReason() {
    return diskAlarm ? "low on disk" : "low on memory";
  }

  @Override
  public void whenSynced(SyncListener listener) {
    store.whenSynced(listener);
  }

  @Override
  public void register(AmqpConnection connection) {
    connections.add(connection);
  }

  @Override
  public void unregister(AmqpConnection connection) {
    connections.remove(connection);
  }
}
