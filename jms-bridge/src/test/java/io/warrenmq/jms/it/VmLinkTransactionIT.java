package io.warrenmq.jms.it;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;

/** The {@link LinkTransactionContract} over the in-VM link, on the in-process broker. */
class VmLinkTransactionIT extends LinkTransactionContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return vmLink();
  }
}
