package io.warrenmq.broker.queue;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Wakes queues when the message at their head expires, so that expired messages leave (and are
 * dead-lettered) on time even when nobody reads the queue, as RabbitMQ's queue timers do. One
 * daemon thread for the process; the work it starts is a queue's own dispatch.
 */
final class ExpiryTimer {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "warren-queue-expiry");
            t.setDaemon(true);
            return t;
          });

  private ExpiryTimer() {}

  static void schedule(Runnable task, long delayMillis) {
    TIMER.schedule(task, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
  }
}
