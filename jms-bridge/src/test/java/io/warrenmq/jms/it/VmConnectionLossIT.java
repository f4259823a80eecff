package io.warrenmq.jms.it;

/** {@link ConnectionLossIT} with the JMS side on the in-VM transport. */
class VmConnectionLossIT extends ConnectionLossIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
