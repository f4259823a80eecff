/**
 * The channel core: what an AMQP channel means, apart from any wire format — consumers and their
 * prefetch credit, unacknowledged deliveries, publisher confirms, transactions, direct reply-to.
 * The AMQP channel ({@code session}) and the JMS provider's in-VM session are thin adapters over
 * one {@link io.warrenmq.broker.channel.Channel} each: they turn frames or calls into core calls,
 * and write what the core hands their {@link io.warrenmq.broker.channel.DeliverySink}.
 */
package io.warrenmq.broker.channel;
