package io.warrenmq.broker.channel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A channel's shared prefetch (basic.qos with {@code global=true}, as RabbitMQ reads it): how many
 * deliveries to consumers that acknowledge may be unacknowledged on the whole channel. Taken on
 * queues' threads, given back on the channel's, so it is atomic. No-ack consumers are not counted.
 */
final class Credit {

  private final AtomicInteger unacked = new AtomicInteger();
  private volatile int limit;

  /** A new limit; 0 is none. */
  void limit(int prefetchCount) {
    limit = prefetchCount;
  }

  /** Whether {@link #take} would succeed now. */
  boolean available(Consumer consumer) {
    int max = limit;
    return consumer.noAck() || max <= 0 || unacked.get() < max;
  }

  /** Takes one unit for a delivery to {@code consumer}; false at the limit. */
  boolean take(Consumer consumer) {
    if (consumer.noAck()) {
      return true;
    }
    int max = limit;
    int n;
    do {
      n = unacked.get();
      if (max > 0 && n >= max) {
        return false;
      }
    } while (!unacked.compareAndSet(n, n + 1));
    return true;
  }

  /** A delivery to {@code consumer} was settled or given back. */
  void giveBack(Consumer consumer) {
    if (!consumer.noAck()) {
      unacked.decrementAndGet();
    }
  }
}
