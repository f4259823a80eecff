package io.warrenmq.jms.it;

/** {@link DeliveryDelayIT} with the JMS side on the in-VM transport. */
class VmDeliveryDelayIT extends DeliveryDelayIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
