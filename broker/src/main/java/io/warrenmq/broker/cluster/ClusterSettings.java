package io.warrenmq.broker.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's place in a cluster: its name, the address its inter-node (Raft) traffic listens on, and
 * the nodes to join when it is not yet a member.
 *
 * @param node the node's name, unique in the cluster ({@code warren@HOST} unless given)
 * @param host the address the cluster port listens on
 * @param port the cluster port; 0 picks a free one
 * @param seeds cluster ports of members to join; empty to start a cluster of its own. Ignored when
 *     the data directory already holds a member's state: the node rejoins its cluster.
 * @param timeoutMillis how long a metadata change waits for a majority of the nodes before it fails
 *     (RabbitMQ's metadata store waits 30 s)
 * @param leaderLocator where a queue declared without a locator argument lives: {@code
 *     client-local} (the declaring node), {@code balanced}, {@code random}
 */
public record ClusterSettings(
    String node,
    String host,
    int port,
    List<Address> seeds,
    long timeoutMillis,
    String leaderLocator) {

  /** The leader locators a node setting may name (RabbitMQ 3.10's {@code queue_leader_locator}). */
  public static final List<String> LOCATORS = List.of("client-local", "balanced", "random");

  public ClusterSettings(
      String node, String host, int port, List<Address> seeds, long timeoutMillis) {
    this(node, host, port, seeds, timeoutMillis, "client-local");
  }

  /** RabbitMQ's metadata-store command timeout. */
  public static final long DEFAULT_TIMEOUT_MILLIS = 30_000;

  public ClusterSettings(String node, String host, int port, List<Address> seeds) {
    this(node, host, port, seeds, DEFAULT_TIMEOUT_MILLIS);
  }

  public ClusterSettings {
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("a node needs a name");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("cluster port out of range: " + port);
    }
    seeds = List.copyOf(seeds);
    if (timeoutMillis <= 0) {
      throw new IllegalArgumentException("timeout must be positive: " + timeoutMillis);
    }
    if (!LOCATORS.contains(leaderLocator)) {
      throw new IllegalArgumentException(
          "queue leader locator must be one of " + LOCATORS + ", not '" + leaderLocator + "'");
    }
  }

  public ClusterSettings withTimeoutMillis(long millis) {
    return new ClusterSettings(node, host, port, seeds, millis, leaderLocator);
  }

  public ClusterSettings withLeaderLocator(String locator) {
    return new ClusterSettings(node, host, port, seeds, timeoutMillis, locator);
  }

  /**
   * The settings as the launcher, the configuration file and the resource adapter take them.
   *
   * @param node the node name, or null for {@link #defaultNodeName()}
   * @param clusterPort the cluster port, or null for no cluster
   * @param join {@code HOST:PORT[,HOST:PORT…]}, or null
   * @return the settings, or null when there is no cluster port
   * @throws IllegalArgumentException a node name or seeds without a cluster port, or a bad seed
   */
  public static ClusterSettings of(String node, String host, Integer clusterPort, String join) {
    if (clusterPort == null) {
      if (join != null && !join.isBlank()) {
        throw new IllegalArgumentException("joining a cluster needs a cluster port");
      }
      return null;
    }
    return new ClusterSettings(
        node == null || node.isBlank() ? defaultNodeName() : node.trim(),
        host,
        clusterPort,
        Address.parseList(join));
  }

  /** RabbitMQ's convention: {@code NAME@HOST}, with this machine's host name. */
  public static String defaultNodeName() {
    try {
      return "warren@" + InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "warren@localhost";
    }
  }

  /**
   * The host other nodes reach this one at: the listening address, or, when that is every
   * interface, the host part of the node name ({@code NAME@HOST}) or this machine's name.
   */
  public String advertisedHost() {
    if (!host.equals("0.0.0.0") && !host.equals("::")) {
      return host;
    }
    int at = node.indexOf('@');
    if (at >= 0 && at < node.length() - 1) {
      return node.substring(at + 1);
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** A host and port: {@code HOST:PORT}, {@code [IPV6]:PORT}. */
  public record Address(String host, int port) {

    public static Address parse(String text) {
      String t = text.trim();
      int colon = t.lastIndexOf(':');
      if (colon <= 0 || colon == t.length() - 1) {
        throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
      }
      String host = t.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(t.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
      }
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range in '" + text + "'");
      }
      return new Address(host, port);
    }

    /** {@code HOST:PORT[,HOST:PORT…]}; blank gives none. */
    public static List<Address> parseList(String text) {
      List<Address> out = new ArrayList<>();
      if (text == null || text.isBlank()) {
        return out;
      }
      for (String part : text.split(",")) {
        if (!part.isBlank()) {
          out.add(parse(part));
        }
      }
      return out;
    }

    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }
}
