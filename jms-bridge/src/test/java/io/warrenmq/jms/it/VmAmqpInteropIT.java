package io.warrenmq.jms.it;

/** {@link AmqpInteropIT} with the JMS side on the in-VM transport. */
class VmAmqpInteropIT extends AmqpInteropIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
