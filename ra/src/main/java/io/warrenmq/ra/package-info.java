/**
 * The WarrenMQ resource adapter (Jakarta Connectors 2.1): {@link
 * io.warrenmq.ra.WarrenResourceAdapter} starts an embedded broker or points at a remote one, with
 * its settings in one {@link io.warrenmq.ra.AdapterConfig}. The outbound side lives here: a managed
 * connection factory whose handles are {@code jakarta.jms.ConnectionFactory}, pooled managed
 * connections with local transactions, and the Queue and Topic admin objects. Message-driven beans
 * are served by {@code inbound}.
 */
package io.warrenmq.ra;
