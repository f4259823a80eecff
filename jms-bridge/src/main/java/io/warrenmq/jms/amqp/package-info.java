/**
 * The network link: {@link io.warrenmq.jms.link.BrokerLink} over the official RabbitMQ Java client,
 * so the provider works against WarrenMQ and RabbitMQ alike. One JMS connection is one AMQP
 * connection (automatic recovery off: JMS reports a loss to the ExceptionListener instead); one
 * link session is one channel. Deliveries arrive on the client's consumer threads, in order per
 * channel.
 */
package io.warrenmq.jms.amqp;
