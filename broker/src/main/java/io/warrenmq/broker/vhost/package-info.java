/**
 * Virtual hosts: each owns its exchanges, queues and bindings, applies RabbitMQ's declaration rules
 * with RabbitMQ's error texts, and routes publishes. This is the plain Java API that the AMQP
 * channel, and later the in-VM JMS provider, translate to.
 */
package io.warrenmq.broker.vhost;
