package io.warrenmq.ra;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterAssociation;
import jakarta.resource.spi.ResourceAdapterInternalException;
import java.io.PrintWriter;
import java.net.URI;
import java.util.Objects;
import java.util.Set;
import javax.security.auth.Subject;

/**
 * The outbound connection definition: applications get {@link WarrenPooledConnectionFactory}
 * handles ({@code jakarta.jms.ConnectionFactory}); the server pools the {@link
 * WarrenManagedConnection}s behind them, matched by the credentials asked for. Without its own
 * {@code brokerUri} it connects to the adapter's broker (embedded or remote).
 */
public class WarrenManagedConnectionFactory
    implements ManagedConnectionFactory, ResourceAdapterAssociation {
  private static final long serialVersionUID = 1L;

  private transient WarrenResourceAdapter adapter;
  private transient PrintWriter logWriter;
  private String brokerUri;
  private String user;
  private String password;
  private String clientId;

  @Override
  public Object createConnectionFactory(ConnectionManager manager) {
    return new WarrenPooledConnectionFactory(this, manager);
  }

  /** Outside a server: every connection is a new managed connection, closed with its handle. */
  @Override
  public Object createConnectionFactory() {
    return new WarrenPooledConnectionFactory(
        this,
        (mcf, cri) -> {
          ManagedConnection mc = mcf.createManagedConnection(null, cri);
          mc.addConnectionEventListener(new UnpooledListener(mc));
          return mc.getConnection(null, cri);
        });
  }

  @Override
  public ManagedConnection createManagedConnection(Subject subject, ConnectionRequestInfo info)
      throws ResourceException {
    ConnectionRequest request = credentials(info);
    return new WarrenManagedConnection(this, request);
  }

  @Override
  @SuppressWarnings("rawtypes")
  public ManagedConnection matchManagedConnections(
      Set candidates, Subject subject, ConnectionRequestInfo info) {
    ConnectionRequest request = credentials(info);
    for (Object candidate : candidates) {
      if (candidate instanceof WarrenManagedConnection mc
          && mc.factory().equals(this)
          && mc.request().equals(request)
          && mc.isUsable()) {
        return mc;
      }
    }
    return null;
  }

  /** The credentials asked for, or this factory's (or the adapter's) defaults. */
  ConnectionRequest credentials(ConnectionRequestInfo info) {
    if (info instanceof ConnectionRequest r && r.user() != null) {
      return r;
    }
    String u = user != null ? user : adapter != null ? adapter.config().user() : null;
    String p = password != null ? password : adapter != null ? adapter.config().password() : null;
    return new ConnectionRequest(u, p);
  }

  URI uri() throws ResourceException {
    if (brokerUri != null && !brokerUri.isBlank()) {
      return URI.create(brokerUri);
    }
    if (adapter == null || adapter.jmsUri() == null) {
      throw new ResourceAdapterInternalException(
          "WARRENRA0030 no brokerUri and no started resource adapter to connect to");
    }
    return adapter.jmsUri();
  }

  @Override
  public ResourceAdapter getResourceAdapter() {
    return adapter;
  }

  @Override
  public void setResourceAdapter(ResourceAdapter ra) {
    this.adapter = (WarrenResourceAdapter) ra;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    this.logWriter = out;
  }

  @Override
  public PrintWriter getLogWriter() {
    return logWriter;
  }

  public String getBrokerUri() {
    return brokerUri;
  }

  public void setBrokerUri(String brokerUri) {
    this.brokerUri = brokerUri;
  }

  public String getUser() {
    return user;
  }

  public void setUser(String user) {
    this.user = user;
  }

  public String getPassword() {
    return password;
  }

  public void setPassword(String password) {
    this.password = password;
  }

  public String getClientId() {
    return clientId;
  }

  public void setClientId(String clientId) {
    this.clientId = clientId;
  }

  // Connectors 2.1 §6.5.3.1: equality by configuration, so the server can pool by factory.
  @Override
  public boolean equals(Object o) {
    return o instanceof WarrenManagedConnectionFactory f
        && Objects.equals(brokerUri, f.brokerUri)
        && Objects.equals(user, f.user)
        && Objects.equals(password, f.password)
        && Objects.equals(clientId, f.clientId)
        && adapter == f.adapter;
  }

  @Override
  public int hashCode() {
    return Objects.hash(brokerUri, user, clientId);
  }

  private record UnpooledListener(ManagedConnection mc)
      implements jakarta.resource.spi.ConnectionEventListener {
    @Override
    public void connectionClosed(jakarta.resource.spi.ConnectionEvent event) {
      destroy();
    }

    @Override
    public void connectionErrorOccurred(jakarta.resource.spi.ConnectionEvent event) {
      destroy();
    }

    private void destroy() {
      try {
        mc.destroy();
      } catch (ResourceException e) {
        // the connection is going away anyway
      }
    }

    @Override
    public void localTransactionStarted(jakarta.resource.spi.ConnectionEvent event) {}

    @Override
    public void localTransactionCommitted(jakarta.resource.spi.ConnectionEvent event) {}

    @Override
    public void localTransactionRolledback(jakarta.resource.spi.ConnectionEvent event) {}
  }
}
