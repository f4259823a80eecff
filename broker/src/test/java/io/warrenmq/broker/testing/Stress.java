package io.warrenmq.broker.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The budget of the concurrency stress tests: each load phase runs for {@link #SECONDS} (a few
 * seconds by default, so that the suite stays quick on a small machine; {@code
 * -Dwarren.stress.seconds=60} for a longer run) and at most {@link #cap} iterations, and every wait
 * after it is a poll with a deadline.
 */
public final class Stress {

  /** How long one load phase runs: {@code warren.stress.seconds}, 2.5 by default. */
  public static final double SECONDS =
      Double.parseDouble(System.getProperty("warren.stress.seconds", "2.5"));

  /** How long the settling after a load phase may take before a test fails. */
  public static final long SETTLE_MILLIS = 20_000;

  private final long deadline = System.nanoTime() + (long) (SECONDS * 1e9);

  /** Starts a load phase now. */
  public static Stress start() {
    return new Stress();
  }

  /** Whether the load phase still runs. */
  public boolean running() {
    return System.nanoTime() < deadline;
  }

  /** An iteration bound for a loop that does about {@code perSecond} iterations a second. */
  public static int cap(int perSecond) {
    return (int) Math.max(perSecond, perSecond * SECONDS * 4);
  }

  /** Polls {@code condition} until it holds; fails after {@link #SETTLE_MILLIS}. */
  public static void settle(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + SETTLE_MILLIS + " ms waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  private Stress() {}
}
