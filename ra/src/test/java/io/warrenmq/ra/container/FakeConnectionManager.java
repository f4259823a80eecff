package io.warrenmq.ra.container;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A server's connection pool in miniature: reuses free managed connections the factory matches,
 * takes them back when their handle closes (after the transaction, if one is running), drops them
 * on a connection error, and runs bodies in a "container transaction" that begins and ends each
 * enlisted managed connection's local transaction.
 */
public final class FakeConnectionManager implements ConnectionManager, ConnectionEventListener {
  private static final long serialVersionUID = 1L;

  /** Code that runs in a transaction. */
  public interface Body {
    void run() throws Exception;
  }

  private final Set<ManagedConnection> free = new LinkedHashSet<>();
  private final Set<ManagedConnection> all = new HashSet<>();
  private final ThreadLocal<List<ManagedConnection>> transaction = new ThreadLocal<>();
  private final Set<ManagedConnection> enlisted = new HashSet<>();
  private int created;

  @Override
  public synchronized Object allocateConnection(
      ManagedConnectionFactory mcf, ConnectionRequestInfo info) throws ResourceException {
    ManagedConnection mc = mcf.matchManagedConnections(new HashSet<>(free), null, info);
    if (mc != null) {
      free.remove(mc);
    } else {
      mc = mcf.createManagedConnection(null, info);
      mc.addConnectionEventListener(this);
      all.add(mc);
      created++;
    }
    List<ManagedConnection> tx = transaction.get();
    if (tx != null && !tx.contains(mc)) {
      mc.getLocalTransaction().begin();
      tx.add(mc);
      enlisted.add(mc);
    }
    return mc.getConnection(null, info);
  }

  /** Runs the body in a transaction, committed when it returns and rolled back when it throws. */
  public void inTransaction(Body body) throws Exception {
    transaction.set(new ArrayList<>());
    boolean ok = false;
    try {
      body.run();
      ok = true;
    } finally {
      List<ManagedConnection> tx = transaction.get();
      transaction.remove();
      for (ManagedConnection mc : tx) {
        if (ok) {
          mc.getLocalTransaction().commit();
        } else {
          mc.getLocalTransaction().rollback();
        }
        synchronized (this) {
          enlisted.remove(mc);
          mc.cleanup();
          free.add(mc);
        }
      }
    }
  }

  public synchronized int created() {
    return created;
  }

  public synchronized int free() {
    return free.size();
  }

  public synchronized void destroyAll() throws ResourceException {
    for (ManagedConnection mc : all) {
      mc.destroy();
    }
    all.clear();
    free.clear();
  }

  @Override
  public synchronized void connectionClosed(ConnectionEvent event) {
    ManagedConnection mc = (ManagedConnection) event.getSource();
    if (enlisted.contains(mc)) {
      return; // back to the pool when the transaction ends
    }
    try {
      mc.cleanup();
      free.add(mc);
    } catch (ResourceException e) {
      all.remove(mc);
    }
  }

  @Override
  public synchronized void connectionErrorOccurred(ConnectionEvent event) {
    ManagedConnection mc = (ManagedConnection) event.getSource();
    free.remove(mc);
    all.remove(mc);
  }

  @Override
  public void localTransactionStarted(ConnectionEvent event) {}

  @Override
  public void localTransactionCommitted(ConnectionEvent event) {}

  @Override
  public void localTransactionRolledback(ConnectionEvent event) {}
}
