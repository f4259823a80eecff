/**
 * Queues: ordered ready messages in a {@link io.warrenmq.broker.store.QueueStorage}, consumers in
 * priority order with credit-based dispatch, and the settle/requeue paths that acks, nacks and
 * closed channels take. Each queue is owned by one thread at a time through its own lock.
 */
package io.warrenmq.broker.queue;
