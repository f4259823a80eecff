package io.warrenmq.broker.message;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the octets that live messages hold, so that the broker can block publishers before the
 * heap runs out. A {@link LongAdder}: publishers on every event loop add to it without contending;
 * the memory monitor reads the sum a few times a second.
 */
public final class MemoryAccount {

  private final LongAdder bytes = new LongAdder();

  void add(long delta) {
    bytes.add(delta);
  }

  public long bytes() {
    return bytes.sum();
  }
}
