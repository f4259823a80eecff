package io.warrenmq.broker.security;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.protocol.FieldTable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Set;

/**
 * Checks credentials for the SASL mechanisms RabbitMQ offers by default: PLAIN ({@code
 * \0user\0password}, RFC 4616) and AMQPLAIN (a field table without its length, holding LOGIN and
 * PASSWORD). Users marked loopback-only, like {@code guest}, are refused from other addresses.
 */
public final class Authenticator {

  /** The mechanisms offered in connection.start, space-separated. */
  public static final String MECHANISMS = "PLAIN AMQPLAIN";

  private final Map<String, BrokerConfig.User> users;
  private final Map<String, Set<String>> permissions;

  public Authenticator(Map<String, BrokerConfig.User> users, Map<String, Set<String>> permissions) {
    this.users = users;
    this.permissions = permissions;
  }

  /** The outcome of a login: the user, or why it failed. */
  public record Result(String user, String failure) {
    public boolean ok() {
      return failure == null;
    }
  }

  public Result authenticate(String mechanism, byte[] response, SocketAddress peer) {
    String[] credentials =
        switch (mechanism) {
          case "PLAIN" -> plain(response);
          case "AMQPLAIN" -> amqplain(response);
          default -> null;
        };
    if (credentials == null) {
      return new Result(null, "malformed " + mechanism + " response");
    }
    String name = credentials[0];
    BrokerConfig.User user = users.get(name);
    if (user == null
        || !MessageDigest.isEqual(
            user.password().getBytes(StandardCharsets.UTF_8),
            credentials[1].getBytes(StandardCharsets.UTF_8))) {
      return new Result(name, "invalid credentials");
    }
    if (user.loopbackOnly() && !isLoopback(peer)) {
      return new Result(name, "user '" + name + "' can only connect via localhost");
    }
    return new Result(name, null);
  }

  /**
   * Whether {@code secret} is {@code user}'s password: the check a connection's new secret passes
   * (connection.update-secret), as a credentials backend checks a refreshed token.
   */
  public boolean isSecretOf(String user, byte[] secret) {
    BrokerConfig.User known = users.get(user);
    return known != null
        && MessageDigest.isEqual(known.password().getBytes(StandardCharsets.UTF_8), secret);
  }

  /** Whether {@code user} may use {@code vhost}. */
  public boolean mayAccess(String user, String vhost) {
    Set<String> allowed = permissions.get(user);
    return allowed != null && allowed.contains(vhost);
  }

  private static boolean isLoopback(SocketAddress peer) {
    if (peer instanceof InetSocketAddress inet) {
      InetAddress address = inet.getAddress();
      return address == null || address.isLoopbackAddress();
    }
    return true; // in-VM and local transports
  }

  private static String[] plain(byte[] response) {
    int first = indexOf(response, 0);
    int second = first < 0 ? -1 : indexOf(response, first + 1);
    if (second < 0) {
      return null;
    }
    return new String[] {
      new String(response, first + 1, second - first - 1, StandardCharsets.UTF_8),
      new String(response, second + 1, response.length - second - 1, StandardCharsets.UTF_8)
    };
  }

  private static String[] amqplain(byte[] response) {
    try {
      var buf = Unpooled.buffer(response.length + 4);
      buf.writeInt(response.length).writeBytes(response);
      Map<String, Object> table = FieldTable.read(buf);
      String login = FieldTable.string(table, "LOGIN");
      String password = FieldTable.string(table, "PASSWORD");
      return login == null || password == null ? null : new String[] {login, password};
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static int indexOf(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        return i;
      }
    }
    return -1;
  }
}
