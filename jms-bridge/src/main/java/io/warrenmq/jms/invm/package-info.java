/**
 * The in-VM link: {@link io.warrenmq.jms.link.BrokerLink} over the broker's core API (virtual host,
 * queues, routing) in the same JVM, with no sockets and no frames. A broker is made reachable with
 * {@link io.warrenmq.jms.invm.InVmBrokers#register}; connections are not authenticated (the caller
 * is in the broker's own JVM).
 */
package io.warrenmq.jms.invm;
