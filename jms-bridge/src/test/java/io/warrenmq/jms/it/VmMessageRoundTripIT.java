package io.warrenmq.jms.it;

/** {@link MessageRoundTripIT} with the JMS side on the in-VM transport. */
class VmMessageRoundTripIT extends MessageRoundTripIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }
}
