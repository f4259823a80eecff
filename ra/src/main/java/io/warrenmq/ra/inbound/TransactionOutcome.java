package io.warrenmq.ra.inbound;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * Handed to {@code createEndpoint} so that the container enlists it in the transaction of a
 * container-managed delivery: it holds no state of its own and only records whether the transaction
 * committed or rolled back, which is how the adapter learns of a {@code setRollbackOnly} that threw
 * no exception. The session is committed (the message acknowledged) after {@code afterDelivery}
 * returns, and only if this saw a commit; a crash in between redelivers the message, never loses
 * it.
 */
final class TransactionOutcome implements XAResource {
  enum State {
    NONE,
    COMMITTED,
    ROLLED_BACK
  }

  private volatile State state = State.NONE;

  State state() {
    return state;
  }

  void reset() {
    state = State.NONE;
  }

  @Override
  public void commit(Xid xid, boolean onePhase) {
    state = State.COMMITTED;
  }

  @Override
  public void rollback(Xid xid) {
    state = State.ROLLED_BACK;
  }

  @Override
  public int prepare(Xid xid) {
    return XA_OK;
  }

  @Override
  public void start(Xid xid, int flags) {
    state = State.NONE;
  }

  @Override
  public void end(Xid xid, int flags) {}

  @Override
  public void forget(Xid xid) {}

  @Override
  public Xid[] recover(int flag) {
    return new Xid[0];
  }

  @Override
  public boolean isSameRM(XAResource other) throws XAException {
    return other == this;
  }

  @Override
  public int getTransactionTimeout() {
    return 0;
  }

  @Override
  public boolean setTransactionTimeout(int seconds) {
    return false;
  }
}
