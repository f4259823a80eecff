package io.warrenmq.jms.it;

/** {@link SimplifiedApiIT} with the JMS side on the in-VM transport. */
class VmSimplifiedApiIT extends SimplifiedApiIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
