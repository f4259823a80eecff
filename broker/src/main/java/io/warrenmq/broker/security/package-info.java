/**
 * Authentication (SASL PLAIN and AMQPLAIN, loopback-only users) and vhost access checks. Reply
 * texts follow RabbitMQ's so that clients report failures the way their users expect.
 */
package io.warrenmq.broker.security;
