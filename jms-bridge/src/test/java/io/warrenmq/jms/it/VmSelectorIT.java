package io.warrenmq.jms.it;

/** {@link SelectorIT} with the JMS side on the in-VM transport. */
class VmSelectorIT extends SelectorIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
