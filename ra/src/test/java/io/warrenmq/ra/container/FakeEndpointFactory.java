package io.warrenmq.ra.container;

import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.endpoint.MessageEndpoint;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * An MDB container in miniature. With {@code transacted}, each delivery behaves like a
 * container-managed {@code REQUIRED} transaction: beforeDelivery starts it and enlists the
 * adapter's XAResource, afterDelivery commits it, or rolls it back when onMessage threw or the bean
 * asked for {@link Bean#setRollbackOnly}.
 */
public final class FakeEndpointFactory implements MessageEndpointFactory {
  /** The bean: onMessage plus the EJBContext call it may make. */
  public interface Bean {
    void onMessage(Message message, Bean.Context context) throws Exception;

    /** The MessageDrivenContext subset a bean uses here. */
    interface Context {
      void setRollbackOnly();
    }
  }

  private final boolean transacted;
  private final Bean bean;
  private final AtomicInteger endpoints = new AtomicInteger();
  public final List<String> deliveryThreads = new CopyOnWriteArrayList<>();
  public final AtomicInteger commits = new AtomicInteger();
  public final AtomicInteger rollbacks = new AtomicInteger();

  public FakeEndpointFactory(boolean transacted, Bean bean) {
    this.transacted = transacted;
    this.bean = bean;
  }

  @Override
  public MessageEndpoint createEndpoint(XAResource xaResource) {
    endpoints.incrementAndGet();
    return new Endpoint(xaResource);
  }

  @Override
  public MessageEndpoint createEndpoint(XAResource xaResource, long timeout) {
    return createEndpoint(xaResource);
  }

  @Override
  public boolean isDeliveryTransacted(Method method) {
    return transacted;
  }

  @Override
  public String getActivationName() {
    return "fake-mdb";
  }

  @Override
  public Class<?> getEndpointClass() {
    return Endpoint.class;
  }

  private final class Endpoint implements MessageEndpoint, MessageListener, Bean.Context {
    private final XAResource xa;
    private final Xid xid =
        new Xid() {
          @Override
          public int getFormatId() {
            return 1;
          }

          @Override
          public byte[] getGlobalTransactionId() {
            return new byte[] {1};
          }

          @Override
          public byte[] getBranchQualifier() {
            return new byte[] {1};
          }
        };
    private boolean inTransaction;
    private boolean rollbackOnly;

    Endpoint(XAResource xa) {
      this.xa = xa;
    }

    @Override
    public void beforeDelivery(Method method) throws ResourceException {
      inTransaction = true;
      rollbackOnly = false;
      try {
        if (xa != null) {
          xa.start(xid, XAResource.TMNOFLAGS);
        }
      } catch (XAException e) {
        throw new ResourceException(e);
      }
    }

    @Override
    public void onMessage(Message message) {
      deliveryThreads.add(Thread.currentThread().getName());
      try {
        bean.onMessage(message, this);
      } catch (Exception e) {
        rollbackOnly = true;
        // the container wraps what the bean threw, as an EJBException would
        throw new RuntimeException("bean failed", e);
      }
    }

    @Override
    public void afterDelivery() throws ResourceException {
      if (!inTransaction) {
        throw new ResourceException("afterDelivery without beforeDelivery");
      }
      inTransaction = false;
      try {
        if (xa != null) {
          xa.end(xid, rollbackOnly ? XAResource.TMFAIL : XAResource.TMSUCCESS);
          if (rollbackOnly) {
            xa.rollback(xid);
          } else {
            xa.commit(xid, true);
          }
        }
      } catch (XAException e) {
        throw new ResourceException(e);
      }
      (rollbackOnly ? rollbacks : commits).incrementAndGet();
    }

    @Override
    public void setRollbackOnly() {
      if (!transacted) {
        throw new IllegalStateException("no container-managed transaction");
      }
      rollbackOnly = true;
    }

    @Override
    public void release() {}
  }
}
