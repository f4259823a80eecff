package io.warrenmq.jms.it;

/** {@link AcknowledgeIT} with the JMS side on the in-VM transport. */
class VmAcknowledgeIT extends AcknowledgeIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
