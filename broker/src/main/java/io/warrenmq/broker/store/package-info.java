/**
 * Where queues and definitions are kept: implementations of the queue's {@link
 * io.warrenmq.broker.queue.QueueStorage} (the {@code memory} one on the heap, the {@code h2} one
 * durable and paging), {@link io.warrenmq.broker.store.PriorityLevels} for priority queues over
 * either, and the definition store with its recovery. Depends on {@code queue}, never the reverse.
 */
package io.warrenmq.broker.store;
