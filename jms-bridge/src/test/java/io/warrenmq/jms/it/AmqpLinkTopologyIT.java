package io.warrenmq.jms.it;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;

/**
 * The {@link LinkTopologyContract} over the network link: against the in-process WarrenMQ, and in
 * the comparison run against RabbitMQ.
 */
class AmqpLinkTopologyIT extends LinkTopologyContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return networkLink();
  }
}
