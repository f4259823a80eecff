package io.warrenmq.ra;

import jakarta.resource.spi.ConnectionRequestInfo;

/**
 * The credentials an application asked for ({@code createConnection(user, password)}); null for the
 * factory's defaults. Managed connections are matched in the pool by these.
 */
record ConnectionRequest(String user, String password) implements ConnectionRequestInfo {
  static final ConnectionRequest DEFAULTS = new ConnectionRequest(null, null);
}
