package io.warrenmq.jms.it;

/** {@link TopicIT} with the JMS side on the in-VM transport. */
class VmTopicIT extends TopicIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
