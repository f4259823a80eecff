/**
 * Queues: ordered ready messages in a {@link io.warrenmq.broker.queue.QueueStorage} (the seam the
 * {@code store} package implements), consumers in priority order with credit-based dispatch, and
 * the settle/requeue paths that acks, nacks and closed channels take; the one table of queue
 * arguments ({@link io.warrenmq.broker.queue.QueueArgument}) and the declaration rules read from
 * it; classic and quorum semantics. Each queue is owned by one thread at a time through its own
 * lock.
 */
package io.warrenmq.broker.queue;
