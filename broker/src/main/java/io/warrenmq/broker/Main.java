package io.warrenmq.broker;

import io.warrenmq.broker.cluster.ClusterSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The standalone launcher: {@code java -jar warren-broker.jar [options]}. Flags override the
 * optional configuration file, which overrides RabbitMQ-like defaults. SIGTERM closes every
 * connection with 320 CONNECTION_FORCED before the process exits.
 */
@Command(
    name = "warren-broker",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "WarrenMQ: an AMQP 0-9-1 broker that RabbitMQ clients use unchanged.")
public final class Main implements Callable<Integer> {

  @Option(names = "--host", description = "Address to listen on (default: 0.0.0.0).")
  String host;

  @Option(names = "--port", description = "AMQP port (default: 5672; 0 picks a free port).")
  Integer port;

  @Option(names = "--data-dir", description = "Directory for durable state (default: ./data).")
  Path dataDir;

  @Option(
      names = "--config",
      description = "A properties file with settings; see docs/configuration.md.")
  Path config;

  @Option(
      names = "--user",
      description =
          "Adds a user NAME:PASSWORD with access to every vhost, from any address. Repeatable.")
  List<String> users = new ArrayList<>();

  @Option(names = "--vhost", description = "Adds a virtual host. Repeatable.")
  List<String> vhosts = new ArrayList<>();

  @Option(names = "--frame-max", description = "Largest frame accepted (default: 131072).")
  Integer frameMax;

  @Option(names = "--heartbeat", description = "Heartbeat seconds proposed (default: 60).")
  Integer heartbeat;

  @Option(
      names = "--max-message-size",
      description = "Largest message body in octets (default: 134217728).")
  Integer maxMessageSize;

  @Option(
      names = "--disk-free-limit",
      description = "Free disk space below which publishers block: 50MB, 2GB, mem_relative:1.0.")
  String diskFreeLimit;

  @Option(
      names = "--tls-port",
      description = "AMQPS port, beside the plain one (RabbitMQ's is 5671); needs --tls-keystore.")
  Integer tlsPort;

  @Option(
      names = "--tls-keystore",
      description = "PKCS#12 keystore with the server's key and certificate chain, for AMQPS.")
  Path tlsKeystore;

  @Option(names = "--tls-keystore-password", description = "Password of the TLS keystore.")
  String tlsKeystorePassword;

  @Option(
      names = "--memory-high-watermark",
      description =
          "Fraction of the heap messages may fill before publishers block (default: 0.4).")
  Double memoryHighWatermark;

  @Option(
      names = "--node",
      description = "This node's name in its cluster (default: warren@HOSTNAME).")
  String node;

  @Option(
      names = "--cluster-port",
      description = "Port for traffic between cluster nodes; no cluster without it.")
  Integer clusterPort;

  @Option(
      names = "--join",
      description =
          "Cluster ports of members to join, HOST:PORT[,HOST:PORT...]; ignored once this data"
              + " directory belongs to a cluster.")
  String join;

  @Option(
      names = "--queue-leader-locator",
      description =
          "Where queues declared without a locator live in a cluster: client-local (default),"
              + " balanced, random.")
  String queueLeaderLocator;

  public static void main(String[] args) {
    configureLogging();
    int exit = new CommandLine(new Main()).execute(args);
    if (exit != 0) {
      System.exit(exit);
    }
  }

  @Override
  public Integer call() throws Exception {
    BrokerConfig cfg = resolve();
    Broker broker;
    try {
      broker = Broker.start(cfg);
    } catch (io.warrenmq.broker.store.StoreException | IllegalArgumentException e) {
      Logger.getLogger("io.warrenmq.broker").severe("cannot start: " + e.getMessage());
      return 2;
    } catch (java.io.UncheckedIOException e) {
      Logger.getLogger("io.warrenmq.broker").severe("cannot start: " + e.getMessage());
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                  // SIGTERM after a clean close is a normal stop, not a failure (JVM default: 143).
                  Runtime.getRuntime().halt(0);
                },
                "warren-shutdown"));
    stopped.await();
    return 0;
  }

  /** Defaults, then the configuration file, then flags. */
  BrokerConfig resolve() throws IOException {
    BrokerConfig cfg = BrokerConfig.defaults();
    Properties file = new Properties();
    if (config != null) {
      try (InputStream in = Files.newInputStream(config)) {
        file.load(in);
      }
    }
    cfg = ConfigFile.apply(cfg, file);
    if (host != null) {
      cfg = cfg.withHost(host);
    }
    if (port != null) {
      cfg = cfg.withPort(port);
    }
    if (dataDir != null) {
      cfg = cfg.withDataDir(dataDir);
    }
    Set<String> allVhosts = new LinkedHashSet<>(cfg.vhosts());
    allVhosts.addAll(vhosts);
    cfg = cfg.withVhosts(allVhosts);
    if (!users.isEmpty()) {
      Map<String, BrokerConfig.User> u = new LinkedHashMap<>(cfg.users());
      Map<String, Set<String>> perms = new LinkedHashMap<>(cfg.permissions());
      for (String spec : users) {
        int colon = spec.indexOf(':');
        if (colon <= 0) {
          throw new CommandLine.ParameterException(
              new CommandLine(this), "--user takes NAME:PASSWORD, got '" + spec + "'");
        }
        String name = spec.substring(0, colon);
        u.put(name, new BrokerConfig.User(name, spec.substring(colon + 1), List.of(), false));
        perms.put(name, allVhosts);
      }
      cfg = cfg.withUsers(u).withPermissions(perms);
    }
    BrokerConfig.Limits l = cfg.limits();
    cfg =
        cfg.withLimits(
            new BrokerConfig.Limits(
                frameMax != null ? frameMax : l.frameMax(),
                l.channelMax(),
                heartbeat != null ? heartbeat : l.heartbeatSeconds(),
                maxMessageSize != null ? maxMessageSize : l.maxMessageSize(),
                memoryHighWatermark != null ? memoryHighWatermark : l.memoryHighWatermark(),
                l.queueBacklogBytes(),
                diskFreeLimit != null
                    ? ConfigFile.diskFreeLimit(diskFreeLimit)
                    : l.diskFreeLimit()));
    if (tlsPort != null || tlsKeystore != null || tlsKeystorePassword != null) {
      BrokerConfig.Tls t = cfg.tls();
      Path keystore = tlsKeystore != null ? tlsKeystore : t == null ? null : t.keystore();
      if (keystore == null) {
        throw new CommandLine.ParameterException(
            new CommandLine(this), "AMQPS needs --tls-keystore (a PKCS#12 file)");
      }
      cfg =
          cfg.withTls(
              new BrokerConfig.Tls(
                  tlsPort != null ? tlsPort : t == null ? 5671 : t.port(),
                  keystore,
                  tlsKeystorePassword != null
                      ? tlsKeystorePassword
                      : t == null ? "" : t.password()));
    }
    String clusterPortText = file.getProperty("cluster-port");
    try {
      cfg =
          cfg.withCluster(
              ClusterSettings.of(
                  node != null ? node : file.getProperty("node"),
                  cfg.host(),
                  clusterPort != null
                      ? clusterPort
                      : clusterPortText == null ? null : Integer.valueOf(clusterPortText.trim()),
                  join != null ? join : file.getProperty("join")));
      String locator =
          queueLeaderLocator != null
              ? queueLeaderLocator
              : file.getProperty("queue-leader-locator");
      if (locator != null && cfg.cluster() != null) {
        cfg = cfg.withCluster(cfg.cluster().withLeaderLocator(locator.trim()));
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    return cfg;
  }

  /** One line per record: time, level, logger, message — and the stack trace when there is one. */
  static void configureLogging() {
    if (System.getProperty("java.util.logging.config.file") != null) {
      return;
    }
    LogManager.getLogManager().reset();
    ConsoleHandler handler = new ConsoleHandler();
    handler.setFormatter(
        new Formatter() {
          @Override
          public String format(LogRecord r) {
            String line =
                String.format(
                    "%1$tF %1$tT.%1$tL %2$-7s [%3$s] %4$s%n",
                    r.getMillis(), r.getLevel().getName(), r.getLoggerName(), formatMessage(r));
            if (r.getThrown() != null) {
              java.io.StringWriter sw = new java.io.StringWriter();
              r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
              line += sw;
            }
            return line;
          }
        });
    Logger root = Logger.getLogger("");
    root.addHandler(handler);
    root.setLevel(Level.INFO);
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"WarrenMQ " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
