package io.warrenmq.jms.it;

/** {@link QueueBrowserIT} with the JMS side on the in-VM transport. */
class VmQueueBrowserIT extends QueueBrowserIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
