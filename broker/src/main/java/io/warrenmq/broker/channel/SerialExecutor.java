package io.warrenmq.broker.channel;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs tasks one at a time, in the order given, on threads of a shared pool: the deliveries and
 * confirms of a channel with no event loop (an in-VM session, a consumer relayed to another node)
 * go through one of these, so they arrive in order and never on the thread of the queue that
 * dispatched them (which holds that queue's lock).
 */
public final class SerialExecutor implements DeliveryExecutor {

  private final Executor pool;
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private boolean running;
  private volatile Thread runner;

  public SerialExecutor(Executor pool) {
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (tasks) {
      tasks.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    pool.execute(this::drain);
  }

  /** Whether the calling thread is running one of this executor's tasks. */
  @Override
  public boolean inExecutor() {
    return runner == Thread.currentThread();
  }

  private void drain() {
    runner = Thread.currentThread();
    while (true) {
      Runnable task;
      synchronized (tasks) {
        task = tasks.poll();
        if (task == null) {
          runner = null;
          running = false;
          return;
        }
      }
      try {
        task.run();
      } catch (RuntimeException e) {
        System.getLogger("io.warrenmq.broker.channel")
            .log(System.Logger.Level.WARNING, "delivery task failed", e);
      }
    }
  }
}
