package io.warrenmq.ra;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionConsumer;
import jakarta.jms.ConnectionMetaData;
import jakarta.jms.Destination;
import jakarta.jms.ExceptionListener;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.ServerSessionPool;
import jakarta.jms.Session;
import jakarta.jms.Topic;

/**
 * The connection an application gets from {@link WarrenPooledConnectionFactory}: a handle on a
 * pooled {@link WarrenManagedConnection}. Closing it gives the managed connection back to the
 * server's pool. As Jakarta Messaging requires in the EE web and EJB containers, it makes one
 * session, and refuses client ids, exception listeners, stop and connection consumers.
 */
public final class ConnectionHandle implements Connection {
  private volatile WarrenManagedConnection managed;
  private SessionHandle session;
  private volatile boolean closed;

  ConnectionHandle(WarrenManagedConnection managed) {
    this.managed = managed;
  }

  void associate(WarrenManagedConnection other) {
    WarrenManagedConnection before = managed;
    if (before != null && before != other) {
      before.dissociate(this);
    }
    managed = other;
  }

  /** The managed connection was cleaned up: this handle can do nothing more. */
  void invalidate() {
    closed = true;
  }

  void checkOpen() throws JMSException {
    if (closed) {
      throw new IllegalStateException("the connection is closed");
    }
  }

  @Override
  public synchronized Session createSession(boolean transacted, int acknowledgeMode)
      throws JMSException {
    checkOpen();
    if (session != null) {
      throw new IllegalStateException(
          "a connection makes only one session in a Jakarta EE container (Jakarta Messaging 3.1"
              + " §12.2)");
    }
    boolean inTransaction = managed.inTransaction();
    session =
        new SessionHandle(
            this, managed.session(transacted && !inTransaction, acknowledgeMode), inTransaction);
    return session;
  }

  @Override
  public Session createSession(int sessionMode) throws JMSException {
    return createSession(sessionMode == Session.SESSION_TRANSACTED, sessionMode);
  }

  @Override
  public Session createSession() throws JMSException {
    return createSession(false, Session.AUTO_ACKNOWLEDGE);
  }

  @Override
  public String getClientID() throws JMSException {
    checkOpen();
    return managed.physical().getClientID();
  }

  @Override
  public void setClientID(String clientID) throws JMSException {
    throw new IllegalStateException(
        "not allowed in a Jakarta EE container: set clientId on the" + " connection factory");
  }

  @Override
  public ConnectionMetaData getMetaData() throws JMSException {
    checkOpen();
    return managed.physical().getMetaData();
  }

  @Override
  public ExceptionListener getExceptionListener() throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }

  @Override
  public void setExceptionListener(ExceptionListener listener) throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }

  /** The pooled connection is always started. */
  @Override
  public void start() throws JMSException {
    checkOpen();
  }

  @Override
  public void stop() throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }

  @Override
  public synchronized void close() throws JMSException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (session != null) {
        session.close();
      }
    } finally {
      managed.handleClosed(this);
    }
  }

  @Override
  public ConnectionConsumer createConnectionConsumer(
      Destination destination, String selector, ServerSessionPool pool, int maxMessages)
      throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }

  @Override
  public ConnectionConsumer createSharedConnectionConsumer(
      Topic topic, String name, String selector, ServerSessionPool pool, int maxMessages)
      throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }

  @Override
  public ConnectionConsumer createDurableConnectionConsumer(
      Topic topic, String name, String selector, ServerSessionPool pool, int maxMessages)
      throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }

  @Override
  public ConnectionConsumer createSharedDurableConnectionConsumer(
      Topic topic, String name, String selector, ServerSessionPool pool, int maxMessages)
      throws JMSException {
    throw new IllegalStateException("not allowed in a Jakarta EE container");
  }
}
