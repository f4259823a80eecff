/**
 * The one small interface between the JMS provider and a broker: {@link
 * io.warrenmq.jms.link.BrokerLink} (a connection) and {@link io.warrenmq.jms.link.LinkSession} (a
 * channel: declare, bind, publish, consume, get, ack, transactions, confirms). Everything above
 * this package speaks JMS; everything below it speaks AMQP 0-9-1 terms. Implementations: {@code
 * io.warrenmq.jms.amqp} over the network, {@code io.warrenmq.jms.vm} in the broker's JVM.
 */
package io.warrenmq.jms.link;
