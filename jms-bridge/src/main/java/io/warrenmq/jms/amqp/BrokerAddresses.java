package io.warrenmq.jms.amqp;

import com.rabbitmq.client.Address;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * The brokers an AMQP URI names: one ({@code amqp://user:pass@host:port/vhost}) or several, comma
 * separated in its authority ({@code amqp://user:pass@h1:5672,h2:5673/vhost}, {@code [::1]:5672}
 * for IPv6), or given apart. A host without a port has the scheme's (5672, amqps 5671).
 *
 * @param first the URI naming the first broker only: user, password, vhost and TLS for all
 * @param all every broker, in the order given
 */
record BrokerAddresses(URI first, List<Address> all) {

  static BrokerAddresses of(URI uri, String addresses) throws URISyntaxException {
    String authority = uri.getRawAuthority();
    if (authority == null) {
      throw new URISyntaxException(uri.toString(), "no broker address");
    }
    int at = authority.lastIndexOf('@');
    String userInfo = at < 0 ? null : authority.substring(0, at);
    String hosts =
        addresses != null && !addresses.isBlank() ? addresses : authority.substring(at + 1);
    int defaultPort = "amqps".equals(uri.getScheme()) ? 5671 : 5672;
    List<Address> all = new ArrayList<>();
    for (String part : hosts.split(",")) {
      String h = part.trim();
      if (h.isEmpty()) {
        continue;
      }
      all.add(parse(h, defaultPort, uri));
    }
    if (all.isEmpty()) {
      throw new URISyntaxException(uri.toString(), "no broker address");
    }
    Address a = all.get(0);
    String host = a.getHost().indexOf(':') >= 0 ? "[" + a.getHost() + "]" : a.getHost();
    URI first =
        new URI(
            uri.getScheme()
                + "://"
                + (userInfo == null ? "" : userInfo + "@")
                + host
                + ":"
                + a.getPort()
                + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    return new BrokerAddresses(first, List.copyOf(all));
  }

  private static Address parse(String hostPort, int defaultPort, URI uri)
      throws URISyntaxException {
    String host = hostPort;
    int port = defaultPort;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw new URISyntaxException(uri.toString(), "unclosed [ in '" + hostPort + "'");
      }
      host = hostPort.substring(1, close);
      String rest = hostPort.substring(close + 1);
      if (rest.startsWith(":")) {
        port = port(rest.substring(1), hostPort, uri);
      } else if (!rest.isEmpty()) {
        throw new URISyntaxException(uri.toString(), "bad broker address '" + hostPort + "'");
      }
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon >= 0) {
        host = hostPort.substring(0, colon);
        port = port(hostPort.substring(colon + 1), hostPort, uri);
      }
    }
    if (host.isEmpty()) {
      throw new URISyntaxException(uri.toString(), "no host in '" + hostPort + "'");
    }
    return new Address(host, port);
  }

  private static int port(String text, String hostPort, URI uri) throws URISyntaxException {
    try {
      int p = Integer.parseInt(text);
      if (p > 0 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new URISyntaxException(uri.toString(), "bad port in '" + hostPort + "'");
  }

  @Override
  public String toString() {
    return all.toString();
  }
}
