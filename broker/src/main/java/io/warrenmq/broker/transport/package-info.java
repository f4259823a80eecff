/**
 * The network edge: the Netty server, its pipeline (protocol header, frame decoder, heartbeats,
 * connection), and frame writing. Everything above it sees whole frames.
 */
package io.warrenmq.broker.transport;
