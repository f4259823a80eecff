package io.warrenmq.jms.it;

/** {@link ConnectionIT} with the JMS side on the in-VM transport. */
class VmConnectionIT extends ConnectionIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
