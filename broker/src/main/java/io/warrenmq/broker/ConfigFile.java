package io.warrenmq.broker;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Reads the launcher's properties file (docs/configuration.md): {@code host}, {@code port}, {@code
 * data-dir}, {@code vhosts}, the limits, and users as {@code users.NAME.password}, {@code
 * users.NAME.vhosts}, {@code users.NAME.loopback-only}. Users listed in the file replace the
 * default {@code guest}.
 */
final class ConfigFile {

  private ConfigFile() {}

  static BrokerConfig apply(BrokerConfig cfg, Properties p) {
    if (p.isEmpty()) {
      return cfg;
    }
    if (p.containsKey("host")) {
      cfg = cfg.withHost(p.getProperty("host").trim());
    }
    if (p.containsKey("port")) {
      cfg = cfg.withPort(Integer.parseInt(p.getProperty("port").trim()));
    }
    if (p.containsKey("data-dir")) {
      cfg = cfg.withDataDir(Path.of(p.getProperty("data-dir").trim()));
    }
    if (p.containsKey("tls.keystore")) {
      cfg =
          cfg.withTls(
              new BrokerConfig.Tls(
                  Integer.parseInt(p.getProperty("tls.port", "5671").trim()),
                  Path.of(p.getProperty("tls.keystore").trim()),
                  p.getProperty("tls.keystore-password", "")));
    }
    if (p.containsKey("vhosts")) {
      cfg = cfg.withVhosts(new LinkedHashSet<>(split(p.getProperty("vhosts"))));
    }
    Map<String, BrokerConfig.User> users = new LinkedHashMap<>();
    Map<String, Set<String>> permissions = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith("users.") && key.endsWith(".password")) {
        String name = key.substring("users.".length(), key.length() - ".password".length());
        String prefix = "users." + name + ".";
        boolean loopback = Boolean.parseBoolean(p.getProperty(prefix + "loopback-only", "false"));
        users.put(
            name,
            new BrokerConfig.User(
                name, p.getProperty(key), split(p.getProperty(prefix + "tags", "")), loopback));
        permissions.put(
            name,
            new LinkedHashSet<>(
                split(p.getProperty(prefix + "vhosts", String.join(",", cfg.vhosts())))));
      }
    }
    if (!users.isEmpty()) {
      cfg = cfg.withUsers(users).withPermissions(permissions);
    }
    BrokerConfig.Limits l = cfg.limits();
    return cfg.withLimits(
        new BrokerConfig.Limits(
            intOr(p, "frame-max", l.frameMax()),
            intOr(p, "channel-max", l.channelMax()),
            intOr(p, "heartbeat", l.heartbeatSeconds()),
            intOr(p, "max-message-size", l.maxMessageSize()),
            Double.parseDouble(
                p.getProperty("memory-high-watermark", String.valueOf(l.memoryHighWatermark()))),
            Long.parseLong(
                p.getProperty("queue-backlog-bytes", String.valueOf(l.queueBacklogBytes()))),
            p.containsKey("disk-free-limit")
                ? diskFreeLimit(p.getProperty("disk-free-limit"))
                : l.diskFreeLimit(),
            Long.parseLong(p.getProperty("send-timeout", String.valueOf(l.sendTimeoutMillis())))));
  }

  /**
   * A disk free limit as RabbitMQ writes it: octets ({@code 50000000}), with a unit ({@code 50MB},
   * {@code 2GB}, {@code 512MiB}), or relative to the machine's memory ({@code mem_relative:1.5}).
   */
  static long diskFreeLimit(String text) {
    String t = text.trim();
    if (t.startsWith("mem_relative:")) {
      double factor = Double.parseDouble(t.substring("mem_relative:".length()));
      long ram =
          ((com.sun.management.OperatingSystemMXBean)
                  java.lang.management.ManagementFactory.getOperatingSystemMXBean())
              .getTotalMemorySize();
      return (long) (ram * factor);
    }
    String[][] units = {
      {"KIB", "1024"}, {"MIB", "1048576"}, {"GIB", "1073741824"},
      {"KB", "1000"}, {"MB", "1000000"}, {"GB", "1000000000"}
    };
    String upper = t.toUpperCase(java.util.Locale.ROOT);
    for (String[] u : units) {
      if (upper.endsWith(u[0])) {
        return (long)
            (Double.parseDouble(upper.substring(0, upper.length() - u[0].length()).trim())
                * Long.parseLong(u[1]));
      }
    }
    return Long.parseLong(t);
  }

  private static int intOr(Properties p, String key, int fallback) {
    String v = p.getProperty(key);
    return v == null ? fallback : Integer.parseInt(v.trim());
  }

  private static List<String> split(String list) {
    return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
