package io.warrenmq.ra;

import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.cluster.ClusterSettings;
import java.io.Serializable;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The resource adapter's configuration, in one place: whether to run an embedded broker or reach a
 * remote one, and how. The adapter's JavaBean setters (which the application server calls with the
 * {@code config-property} values of {@code ra.xml} and its own overrides) write here; everything
 * else reads this object rather than copying properties one by one.
 *
 * <p>Users are written {@code name:password,name:password}; each may use every vhost from any
 * address. Without users the embedded broker has RabbitMQ's {@code guest}/{@code guest}, loopback
 * only.
 */
public final class AdapterConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  private boolean embedded = true;
  private String host = "127.0.0.1";
  private int port = 5672;
  private String dataDir = "warren-data";
  private String virtualHost = "/";
  private String users = "";
  private String brokerUri;
  private String user = "guest";
  private String password = "guest";
  private String nodeName;
  private Integer clusterPort;
  private String join;

  /** The embedded broker's node name in its cluster; null for {@code warren@HOSTNAME}. */
  public String nodeName() {
    return nodeName;
  }

  public void nodeName(String nodeName) {
    this.nodeName = nodeName == null || nodeName.isBlank() ? null : nodeName.trim();
  }

  /** The embedded broker's cluster port; null (or 0 given as unset) for no cluster. */
  public Integer clusterPort() {
    return clusterPort;
  }

  public void clusterPort(Integer port) {
    if (port != null && (port < 0 || port > 65535)) {
      throw new IllegalArgumentException("clusterPort out of range: " + port);
    }
    this.clusterPort = port;
  }

  /** Cluster ports of members to join, {@code HOST:PORT[,HOST:PORT…]}. */
  public String join() {
    return join;
  }

  public void join(String join) {
    ClusterSettings.Address.parseList(join); // refused now rather than at start
    this.join = join == null || join.isBlank() ? null : join.trim();
  }

  public boolean embedded() {
    return embedded;
  }

  public void embedded(boolean embedded) {
    this.embedded = embedded;
  }

  public String host() {
    return host;
  }

  public void host(String host) {
    this.host = host;
  }

  public int port() {
    return port;
  }

  public void port(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, not " + port);
    }
    this.port = port;
  }

  public String dataDir() {
    return dataDir;
  }

  public void dataDir(String dataDir) {
    this.dataDir = dataDir;
  }

  public String virtualHost() {
    return virtualHost;
  }

  public void virtualHost(String virtualHost) {
    this.virtualHost = virtualHost;
  }

  public String users() {
    return users;
  }

  public void users(String users) {
    this.users = users == null ? "" : users;
    parseUsers(this.users);
  }

  public String brokerUri() {
    return brokerUri;
  }

  /** A remote broker ({@code amqp://user:pass@host:port/vhost}); null or blank means none. */
  public void brokerUri(String brokerUri) {
    this.brokerUri = brokerUri == null || brokerUri.isBlank() ? null : brokerUri.trim();
  }

  public String user() {
    return user;
  }

  /** The user the adapter's own connections (activations, outbound default) log in as. */
  public void user(String user) {
    this.user = user;
  }

  public String password() {
    return password;
  }

  public void password(String password) {
    this.password = password;
  }

  /**
   * The URI connections use: the remote broker's when configured, otherwise the embedded broker's
   * address with the adapter's user and vhost.
   *
   * @param embeddedPort the port the embedded broker listens on (it may have been 0 in the config)
   */
  public URI connectionUri(int embeddedPort) {
    if (brokerUri != null) {
      return URI.create(brokerUri);
    }
    String connectHost = "0.0.0.0".equals(host) || "::".equals(host) ? "127.0.0.1" : host;
    return uri(
        "amqp",
        (connectHost.contains(":") ? "[" + connectHost + "]" : connectHost) + ":" + embeddedPort);
  }

  /** {@code scheme://user:password@authority/vhost} with the adapter's credentials and vhost. */
  private URI uri(String scheme, String authority) {
    return URI.create(
        scheme
            + "://"
            + encode(user)
            + ":"
            + encode(password)
            + "@"
            + authority
            + "/"
            + encode(virtualHost));
  }

  /**
   * The name the embedded broker has in this JVM, for the in-VM transport: derived from its data
   * directory, which no two brokers can share, so that two adapters (or an adapter and a test's own
   * broker) never take each other's name.
   */
  public String brokerName() {
    return "warren-ra-"
        + Integer.toHexString(Path.of(dataDir).toAbsolutePath().normalize().toString().hashCode());
  }

  /**
   * The URI the adapter's own JMS connections (activations, the pooled factory) use: the remote
   * broker's when configured, otherwise the in-VM transport to the embedded broker — no socket, no
   * copy of message bodies on the way in.
   */
  public URI jmsUri() {
    if (brokerUri != null) {
      return URI.create(brokerUri);
    }
    return uri("vm", brokerName());
  }

  /** The embedded broker's configuration. */
  public BrokerConfig brokerConfig() {
    BrokerConfig config =
        BrokerConfig.defaults()
            .withHost(host)
            .withPort(port)
            .withDataDir(Path.of(dataDir))
            .withName(brokerName());
    config = config.withCluster(ClusterSettings.of(nodeName, host, clusterPort, join));
    Set<String> vhosts = new HashSet<>(config.vhosts());
    vhosts.add(virtualHost);
    config = config.withVhosts(vhosts);
    Map<String, BrokerConfig.User> parsed = parseUsers(users);
    if (parsed.isEmpty()) {
      return config.withPermissions(Map.of("guest", vhosts));
    }
    Map<String, Set<String>> permissions = new LinkedHashMap<>();
    parsed.keySet().forEach(name -> permissions.put(name, vhosts));
    return config.withUsers(parsed).withPermissions(permissions);
  }

  static Map<String, BrokerConfig.User> parseUsers(String users) {
    Map<String, BrokerConfig.User> parsed = new LinkedHashMap<>();
    for (String entry : users.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int colon = entry.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(
            "users are written name:password[,name:password], not '" + entry.trim() + "'");
      }
      String name = entry.substring(0, colon).trim();
      parsed.put(
          name,
          new BrokerConfig.User(name, entry.substring(colon + 1), List.of("administrator"), false));
    }
    return parsed;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Two configurations are equal when every property is. */
  @Override
  public boolean equals(Object o) {
    return o instanceof AdapterConfig c
        && embedded == c.embedded
        && port == c.port
        && Objects.equals(host, c.host)
        && Objects.equals(dataDir, c.dataDir)
        && Objects.equals(virtualHost, c.virtualHost)
        && Objects.equals(users, c.users)
        && Objects.equals(brokerUri, c.brokerUri)
        && Objects.equals(user, c.user)
        && Objects.equals(password, c.password)
        && Objects.equals(nodeName, c.nodeName)
        && Objects.equals(clusterPort, c.clusterPort)
        && Objects.equals(join, c.join);
  }

  @Override
  public int hashCode() {
    return Objects.hash(embedded, host, port, dataDir, virtualHost, brokerUri, user);
  }

  /** The remote broker's hosts, as its URI lists them (one, or several for failover). */
  private String remoteHosts() {
    String authority = URI.create(brokerUri).getRawAuthority();
    return authority == null ? brokerUri : authority.substring(authority.lastIndexOf('@') + 1);
  }

  @Override
  public String toString() {
    return brokerUri != null
        ? "remote broker " + remoteHosts()
        : "embedded broker on " + host + ":" + port + " (data in " + dataDir + ")";
  }
}
