package io.warrenmq.jms.it;

/** {@link AsyncSendIT} with the JMS side on the in-VM transport. */
class VmAsyncSendIT extends AsyncSendIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
