package io.warrenmq.ra;

import io.warrenmq.jms.WarrenConnectionFactory;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Session;
import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionMetaData;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.SecurityException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.security.auth.Subject;
import javax.transaction.xa.XAResource;

/**
 * One pooled physical JMS connection (one AMQP connection) with at most two sessions, opened when
 * first needed: a transacted one used inside a container transaction ({@link #getLocalTransaction}
 * commits and rolls it back) and one used outside, in the mode the application asked for. The
 * handles the application holds are {@link ConnectionHandle}s; {@link #cleanup} closes what they
 * left open so that the next user starts clean.
 */
public class WarrenManagedConnection implements ManagedConnection {
  private static final Logger LOG = Logger.getLogger(WarrenManagedConnection.class.getName());

  private final WarrenManagedConnectionFactory factory;
  private final ConnectionRequest request;
  private final Connection physical;
  private final List<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();
  private final List<ConnectionHandle> handles = new CopyOnWriteArrayList<>();
  private Session transactedSession;
  private Session plainSession;
  private int plainMode = -1;
  private volatile boolean inTransaction;
  private volatile boolean broken;
  private PrintWriter logWriter;

  WarrenManagedConnection(WarrenManagedConnectionFactory factory, ConnectionRequest request)
      throws ResourceException {
    this.factory = factory;
    this.request = request;
    WarrenConnectionFactory cf = new WarrenConnectionFactory(factory.uri().toString());
    if (factory.getClientId() != null && !factory.getClientId().isBlank()) {
      cf.setClientId(factory.getClientId());
    }
    try {
      physical = cf.createConnection(request.user(), request.password());
      physical.setExceptionListener(e -> failed(e));
      physical.start();
    } catch (jakarta.jms.JMSSecurityException e) {
      throw new SecurityException("WARRENRA0031 " + e.getMessage(), e);
    } catch (JMSException e) {
      if (refusedLogin(e)) {
        throw new SecurityException("WARRENRA0031 " + e.getMessage(), e);
      }
      throw new ResourceAdapterInternalException(
          "WARRENRA0032 cannot connect to the broker: " + e.getMessage(), e);
    }
  }

  /**
   * The provider reports a refused login as a plain JMSException for now; the AMQP client's
   * exception in the cause chain tells it apart.
   */
  private static boolean refusedLogin(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof com.rabbitmq.client.AuthenticationFailureException) {
        return true;
      }
    }
    return false;
  }

  WarrenManagedConnectionFactory factory() {
    return factory;
  }

  ConnectionRequest request() {
    return request;
  }

  boolean isUsable() {
    return !broken;
  }

  boolean inTransaction() {
    return inTransaction;
  }

  /**
   * The session for a new session handle: the transacted one inside a container transaction,
   * otherwise one in the application's mode (a transacted session stays transacted: the application
   * commits it).
   */
  synchronized Session session(boolean transacted, int mode) throws JMSException {
    if (inTransaction || transacted) {
      if (transactedSession == null) {
        transactedSession = physical.createSession(true, Session.SESSION_TRANSACTED);
      }
      return transactedSession;
    }
    int wanted = mode == Session.CLIENT_ACKNOWLEDGE ? mode : Session.AUTO_ACKNOWLEDGE;
    if (plainSession != null && plainMode != wanted) {
      plainSession.close();
      plainSession = null;
    }
    if (plainSession == null) {
      plainSession = physical.createSession(false, wanted);
      plainMode = wanted;
    }
    return plainSession;
  }

  Connection physical() {
    return physical;
  }

  private void failed(JMSException e) {
    broken = true;
    LOG.log(Level.WARNING, "WARRENRA0033 pooled broker connection lost: {0}", e.getMessage());
    ConnectionEvent event = new ConnectionEvent(this, ConnectionEvent.CONNECTION_ERROR_OCCURRED, e);
    for (ConnectionEventListener l : listeners) {
      l.connectionErrorOccurred(event);
    }
  }

  void handleClosed(ConnectionHandle handle) {
    handles.remove(handle);
    ConnectionEvent event = new ConnectionEvent(this, ConnectionEvent.CONNECTION_CLOSED);
    event.setConnectionHandle(handle);
    for (ConnectionEventListener l : listeners) {
      l.connectionClosed(event);
    }
  }

  @Override
  public Object getConnection(Subject subject, ConnectionRequestInfo info) {
    ConnectionHandle handle = new ConnectionHandle(this);
    handles.add(handle);
    return handle;
  }

  @Override
  public void associateConnection(Object connection) throws ResourceException {
    if (!(connection instanceof ConnectionHandle handle)) {
      throw new ResourceException("not a WarrenMQ connection handle: " + connection);
    }
    handle.associate(this);
    handles.add(handle);
  }

  void dissociate(ConnectionHandle handle) {
    handles.remove(handle);
  }

  @Override
  public synchronized void cleanup() throws ResourceException {
    for (ConnectionHandle h : handles) {
      h.invalidate();
    }
    handles.clear();
    inTransaction = false;
    try {
      if (transactedSession != null) {
        transactedSession.close(); // rolls back whatever was left uncommitted
        transactedSession = null;
      }
      if (plainSession != null) {
        plainSession.close();
        plainSession = null;
      }
    } catch (JMSException e) {
      broken = true;
      throw new ResourceAdapterInternalException("cleanup failed", e);
    }
  }

  @Override
  public void destroy() throws ResourceException {
    try {
      physical.close();
    } catch (JMSException e) {
      LOG.log(Level.FINE, "closing a pooled connection", e);
    }
  }

  @Override
  public void addConnectionEventListener(ConnectionEventListener listener) {
    listeners.add(listener);
  }

  @Override
  public void removeConnectionEventListener(ConnectionEventListener listener) {
    listeners.remove(listener);
  }

  @Override
  public XAResource getXAResource() throws ResourceException {
    throw new NotSupportedException("WarrenMQ connections support local transactions, not XA");
  }

  @Override
  public LocalTransaction getLocalTransaction() {
    return new LocalTransaction() {
      @Override
      public void begin() {
        inTransaction = true;
      }

      @Override
      public void commit() throws ResourceException {
        end(true);
      }

      @Override
      public void rollback() throws ResourceException {
        end(false);
      }
    };
  }

  private synchronized void end(boolean commit) throws ResourceException {
    inTransaction = false;
    if (transactedSession == null) {
      return;
    }
    try {
      if (commit) {
        transactedSession.commit();
      } else {
        transactedSession.rollback();
      }
    } catch (JMSException e) {
      throw new jakarta.resource.spi.LocalTransactionException(
          "WARRENRA0034 " + (commit ? "commit" : "rollback") + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public ManagedConnectionMetaData getMetaData() {
    return new ManagedConnectionMetaData() {
      @Override
      public String getEISProductName() {
        return "WarrenMQ";
      }

      @Override
      public String getEISProductVersion() {
        return "0.1";
      }

      @Override
      public int getMaxConnections() {
        return 0;
      }

      @Override
      public String getUserName() {
        return request.user();
      }
    };
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    this.logWriter = out;
  }

  @Override
  public PrintWriter getLogWriter() {
    return logWriter;
  }
}
