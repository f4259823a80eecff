/**
 * Storage seams: {@link io.warrenmq.broker.store.QueueStorage} holds a queue's ready messages. The
 * {@code memory} implementation lives on the heap; durable ones plug in behind the same contract.
 */
package io.warrenmq.broker.store;
