package io.warrenmq.ra.container;

import jakarta.resource.spi.work.ExecutionContext;
import jakarta.resource.spi.work.Work;
import jakarta.resource.spi.work.WorkListener;
import jakarta.resource.spi.work.WorkManager;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A WorkManager on a thread pool whose threads are named {@code fake-wm-N}, like a container's. */
public final class FakeWorkManager implements WorkManager {
  public static final String THREAD_PREFIX = "fake-wm-";
  private final AtomicInteger threads = new AtomicInteger();
  private final ExecutorService executor =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, THREAD_PREFIX + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
  private final Set<Work> running = ConcurrentHashMap.newKeySet();

  @Override
  public void doWork(Work work) {
    work.run();
  }

  @Override
  public void doWork(Work work, long timeout, ExecutionContext ctx, WorkListener listener) {
    work.run();
  }

  @Override
  public long startWork(Work work) {
    scheduleWork(work);
    return 0;
  }

  @Override
  public long startWork(Work work, long timeout, ExecutionContext ctx, WorkListener listener) {
    scheduleWork(work);
    return 0;
  }

  @Override
  public void scheduleWork(Work work) {
    running.add(work);
    executor.execute(
        () -> {
          try {
            work.run();
          } finally {
            running.remove(work);
          }
        });
  }

  @Override
  public void scheduleWork(Work work, long timeout, ExecutionContext ctx, WorkListener listener) {
    scheduleWork(work);
  }

  /** Works scheduled and not yet returned. */
  public int running() {
    return running.size();
  }

  public void shutdown() throws InterruptedException {
    running.forEach(Work::release);
    executor.shutdown();
    executor.awaitTermination(10, TimeUnit.SECONDS);
  }
}
