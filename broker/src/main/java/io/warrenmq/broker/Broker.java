package io.warrenmq.broker;

import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.security.Authenticator;
import io.warrenmq.broker.session.AmqpConnection;
import io.warrenmq.broker.session.BrokerServices;
import io.warrenmq.broker.transport.AmqpServer;
import io.warrenmq.broker.vhost.VirtualHost;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A running broker: the listener, the virtual hosts and the broker-wide watchers (memory alarm).
 * Start one with {@link #start}; {@link #close} closes every connection with 320 CONNECTION_FORCED,
 * as RabbitMQ does on shutdown.
 */
public final class Broker implements AutoCloseable, BrokerServices {

  private static final System.Logger LOG = System.getLogger("io.warrenmq.broker");
  private static final long MEMORY_CHECK_MILLIS = 100;

  private final BrokerConfig config;
  private final Authenticator authenticator;
  private final Map<String, VirtualHost> vhosts = new ConcurrentHashMap<>();
  private final MemoryAccount memory = new MemoryAccount();
  private final Set<AmqpConnection> connections = ConcurrentHashMap.newKeySet();
  private final long memoryLimit;
  private volatile boolean memoryAlarm;
  private AmqpServer server;
  private ScheduledFuture<?> memoryCheck;

  private Broker(BrokerConfig config) {
    this.config = config;
    this.authenticator = new Authenticator(config.users(), config.permissions());
    for (String name : config.vhosts()) {
      vhosts.put(name, new VirtualHost(name, config.limits().queueBacklogBytes()));
    }
    this.memoryLimit =
        (long) (Runtime.getRuntime().maxMemory() * config.limits().memoryHighWatermark());
  }

  /** Starts a broker and returns once it listens. */
  public static Broker start(BrokerConfig config) throws InterruptedException {
    Broker broker = new Broker(config);
    broker.server =
        AmqpServer.start(
            config.host(),
            config.port(),
            config.limits().frameMax(),
            () -> new AmqpConnection(broker),
            (ChannelHandler c) -> ((AmqpConnection) c).protocolHeaderAccepted());
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
        "WarrenMQ listening for AMQP 0-9-1 on {0}:{1,number,#} (memory high watermark {2} MiB)",
        config.host(),
        broker.port(),
        broker.memoryLimit / (1024 * 1024));
    return broker;
  }

  /** The port the broker listens on. */
  public int port() {
    return server.localAddress().getPort();
  }

  private void checkMemory() {
    boolean over = memory.bytes() > memoryLimit;
    if (over != memoryAlarm) {
      memoryAlarm = over;
      LOG.log(
          over ? Level.WARNING : Level.INFO,
          over
              ? "memory alarm set: messages hold {0} MiB, above the high watermark of {1} MiB;"
                  + " publishers are blocked"
              : "memory alarm cleared: messages hold {0} MiB, below {1} MiB",
          memory.bytes() / (1024 * 1024),
          memoryLimit / (1024 * 1024));
      for (AmqpConnection c : connections) {
        c.memoryAlarm(over);
      }
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
    server.stopAccepting();
    memoryCheck.cancel(false);
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
    return memoryAlarm;
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
