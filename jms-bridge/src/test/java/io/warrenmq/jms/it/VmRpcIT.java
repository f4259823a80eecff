package io.warrenmq.jms.it;

/** {@link RpcIT} with the JMS side on the in-VM transport. */
class VmRpcIT extends RpcIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
