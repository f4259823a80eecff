/**
 * A Jakarta Messaging 3.1 provider over WarrenMQ or RabbitMQ. {@link
 * io.warrenmq.jms.WarrenConnectionFactory} is the entry point; connections, sessions, producers,
 * consumers, browsers and the simplified API ({@link io.warrenmq.jms.WarrenContext}) live here and
 * reach the broker only through {@link io.warrenmq.jms.link.BrokerLink}. docs/jms-mapping.md says
 * how destinations and messages map onto exchanges, queues and AMQP properties.
 */
package io.warrenmq.jms;
