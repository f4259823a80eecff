/** Queue storage on the heap: the default for non-durable queues and the contract's reference. */
package io.warrenmq.broker.store.memory;
