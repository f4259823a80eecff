package io.warrenmq.jms.it;

/** {@link ConnectionConsumerIT} on the in-VM transport. */
class VmConnectionConsumerIT extends ConnectionConsumerIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
