/**
 * The in-VM link: {@link io.warrenmq.jms.link.BrokerLink} as direct calls on a broker running in
 * the same JVM, found by name in {@code io.warrenmq.broker.LocalBrokers} ({@code vm://NAME/VHOST}).
 * No sockets and no frames: a published body is wrapped, not copied, and handed to the queues; a
 * delivered body is the publisher's array when it is one. Deliveries and confirms run on each
 * session's serial executor, never on a queue's dispatching thread.
 */
package io.warrenmq.jms.vm;
