package io.warrenmq.jms.it;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.vm.VmBrokerLink;
import java.net.URI;

/** The {@link LinkSessionContract} over the in-VM link, on the in-process broker. */
class VmLinkSessionIT extends LinkSessionContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return VmBrokerLink.connect(URI.create(vmUri()), null, null);
  }
}
