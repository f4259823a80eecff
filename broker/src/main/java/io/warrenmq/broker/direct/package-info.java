/**
 * Direct connections: clients in the broker's own JVM that log in and open channels on the channel
 * core without a socket, as RabbitMQ's {@code rabbit_direct} serves in-node clients.
 */
package io.warrenmq.broker.direct;
