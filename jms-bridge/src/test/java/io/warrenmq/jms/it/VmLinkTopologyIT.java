package io.warrenmq.jms.it;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;

/** The {@link LinkTopologyContract} over the in-VM link, on the in-process broker. */
class VmLinkTopologyIT extends LinkTopologyContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return vmLink();
  }
}
