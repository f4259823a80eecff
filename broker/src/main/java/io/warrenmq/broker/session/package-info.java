/**
 * AMQP sessions: the connection state machine (handshake, tuning, heartbeats, close) and channels,
 * which translate AMQP methods into calls on the virtual host and queues. Each connection and its
 * channels run on one Netty event loop; queues reach them only through a channel's outbox.
 */
package io.warrenmq.broker.session;
