package io.warrenmq.jms.it;

/** {@link TransactionIT} with the JMS side on the in-VM transport. */
class VmTransactionIT extends TransactionIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
