package io.warrenmq.jms.it;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;

/** The {@link LinkDeliveryContract} over the in-VM link, on the in-process broker. */
class VmLinkDeliveryIT extends LinkDeliveryContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return vmLink();
  }
}
