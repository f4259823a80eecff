package io.warrenmq.jms.it;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;

/**
 * The {@link LinkTransactionContract} over the network link: against the in-process WarrenMQ, and
 * in the comparison run against RabbitMQ.
 */
class AmqpLinkTransactionIT extends LinkTransactionContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return networkLink();
  }
}
