package io.warrenmq.ra;

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

  private static JMSRuntimeException noContext() {
    return new JMSRuntimeException(
        "WARRENRA0035 JMSContext is not supported by the pooled factory yet: use"
            + " createConnection().createSession()");
  }

  @Override
  public JMSContext createContext() {
    throw noContext();
  }

  @Override
  public JMSContext createContext(String userName, String password) {
    throw noContext();
  }

  @Override
  public JMSContext createContext(String userName, String password, int sessionMode) {
    throw noContext();
  }

  @Override
  public JMSContext createContext(int sessionMode) {
    throw noContext();
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
