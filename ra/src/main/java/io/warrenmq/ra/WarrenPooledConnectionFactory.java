package io.warrenmq.ra;

import io.warrenmq.jms.WarrenContext;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;
import java.io.Serializable;
import javax.naming.Reference;

/**
 * The {@code jakarta.jms.ConnectionFactory} applications inject with {@code @Resource}: each
 * connection is a handle on a managed connection the server's pool hands out (or creates), matched
 * by the credentials asked for.
 */
public class WarrenPooledConnectionFactory
    implements ConnectionFactory, jakarta.resource.Referenceable, Serializable {
  private static final long serialVersionUID = 1L;

  private final WarrenManagedConnectionFactory factory;
  private final ConnectionManager manager;
  private Reference reference;

  WarrenPooledConnectionFactory(WarrenManagedConnectionFactory factory, ConnectionManager manager) {
    this.factory = factory;
    this.manager = manager;
  }

  @Override
  public Connection createConnection() throws JMSException {
    return allocate(ConnectionRequest.DEFAULTS);
  }

  @Override
  public Connection createConnection(String userName, String password) throws JMSException {
    return allocate(new ConnectionRequest(userName, password));
  }

  private Connection allocate(ConnectionRequest request) throws JMSException {
    try {
      return (Connection) manager.allocateConnection(factory, request);
    } catch (ResourceException e) {
      JMSException jms =
          e instanceof jakarta.resource.spi.SecurityException
              ? new jakarta.jms.JMSSecurityException(e.getMessage())
              : new JMSException(e.getMessage());
      jms.initCause(e);
      jms.setLinkedException(e);
      throw jms;
    }
  }

  /**
   * A JMSContext on a pooled connection: its one session is the handle's, so it joins the
   * container's transaction as a session does, and closing the context gives the managed connection
   * back to the pool. This is also what a container's injected {@code JMSContext} made from this
   * factory uses.
   */
  private JMSContext context(ConnectionRequest request, int sessionMode) {
    Connection handle;
    try {
      handle = allocate(request);
    } catch (JMSException e) {
      JMSRuntimeException unchecked =
          e instanceof jakarta.jms.JMSSecurityException
              ? new jakarta.jms.JMSSecurityRuntimeException(e.getMessage(), e.getErrorCode(), e)
              : new JMSRuntimeException(e.getMessage(), e.getErrorCode(), e);
      throw unchecked;
    }
    try {
      return WarrenContext.over(handle, sessionMode);
    } catch (RuntimeException e) {
      try {
        handle.close();
      } catch (JMSException ignored) {
        // the context could not be made: the handle goes back to the pool
      }
      throw e;
    }
  }

  @Override
  public JMSContext createContext() {
    return context(ConnectionRequest.DEFAULTS, JMSContext.AUTO_ACKNOWLEDGE);
  }

  @Override
  public JMSContext createContext(String userName, String password) {
    return context(new ConnectionRequest(userName, password), JMSContext.AUTO_ACKNOWLEDGE);
  }

  @Override
  public JMSContext createContext(String userName, String password, int sessionMode) {
    return context(new ConnectionRequest(userName, password), sessionMode);
  }

  @Override
  public JMSContext createContext(int sessionMode) {
    return context(ConnectionRequest.DEFAULTS, sessionMode);
  }

  @Override
  public void setReference(Reference reference) {
    this.reference = reference;
  }

  @Override
  public Reference getReference() {
    return reference;
  }
}
