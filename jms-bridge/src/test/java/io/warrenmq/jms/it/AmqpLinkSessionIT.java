package io.warrenmq.jms.it;

import io.warrenmq.jms.amqp.AmqpBrokerLink;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import java.net.URI;

/**
 * The {@link LinkSessionContract} over the network link: against the in-process WarrenMQ, and in
 * the comparison run against RabbitMQ.
 */
class AmqpLinkSessionIT extends LinkSessionContract {
  @Override
  protected BrokerLink connect() throws LinkException {
    return AmqpBrokerLink.connect(URI.create(brokerUri()), null, null, "link-contract");
  }
}
