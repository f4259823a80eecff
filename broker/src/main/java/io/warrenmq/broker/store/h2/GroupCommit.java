package io.warrenmq.broker.store.h2;

import io.warrenmq.broker.store.SyncListener;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import org.h2.mvstore.MVStore;

/**
 * The store's one writer thread: commits and fsyncs what every other thread wrote to the maps, then
 * tells the listeners that were waiting for it.
 *
 * <p>Group commit comes for free: while one commit and sync run, new listeners pile up, and the
 * next round serves them all with one sync. With nothing waiting, it still commits every {@value
 * #IDLE_COMMIT_MILLIS} ms so that unconfirmed writes reach the disk soon, and compacts now and then
 * so that the file does not grow without bound.
 */
final class GroupCommit implements Runnable {

  private static final long IDLE_COMMIT_MILLIS = 200;
  private static final long COMPACT_EVERY_MILLIS = 10_000;
  private static final int COMPACT_FILL_RATE = 50;
  private static final int COMPACT_WRITE_BYTES = 16 * 1024 * 1024;

  private final MVStore mv;
  private final Thread thread;
  private List<SyncListener> waiting = new ArrayList<>();
  private boolean running = true;
  private long lastCompact = System.nanoTime();

  GroupCommit(MVStore mv) {
    this.mv = mv;
    this.thread = new Thread(this, "warren-store-commit");
    this.thread.setDaemon(true);
  }

  /** Starts the thread; later calls do nothing. */
  synchronized void start() {
    if (thread.getState() == Thread.State.NEW) {
      thread.start();
    }
  }

  void whenSynced(SyncListener listener) {
    synchronized (this) {
      if (running) {
        waiting.add(listener);
        notifyAll();
        return;
      }
    }
    listener.synced(new IllegalStateException("the store is closed"));
  }

  @Override
  public void run() {
    while (true) {
      List<SyncListener> batch;
      synchronized (this) {
        if (waiting.isEmpty() && running) {
          try {
            wait(IDLE_COMMIT_MILLIS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
          }
        }
        batch = waiting;
        waiting = new ArrayList<>();
        if (!running && batch.isEmpty()) {
          return;
        }
      }
      Throwable failure = null;
      try {
        if (mv.hasUnsavedChanges()) {
          mv.commit();
          mv.sync();
        }
        maybeCompact();
      } catch (RuntimeException | Error e) {
        failure = e;
        H2Store.LOG.log(Level.ERROR, "store commit failed; publishers will get nacks", e);
      }
      for (SyncListener l : batch) {
        try {
          l.synced(failure);
        } catch (RuntimeException e) {
          H2Store.LOG.log(Level.ERROR, "sync listener failed", e);
        }
      }
    }
  }

  private void maybeCompact() {
    long now = System.nanoTime();
    if (now - lastCompact > COMPACT_EVERY_MILLIS * 1_000_000L) {
      lastCompact = now;
      if (mv.compact(COMPACT_FILL_RATE, COMPACT_WRITE_BYTES)) {
        mv.commit();
        mv.sync();
      }
    }
  }

  /** Serves everyone still waiting, then ends the thread. */
  void stop() {
    synchronized (this) {
      running = false;
      notifyAll();
      if (thread.getState() == Thread.State.NEW) {
        return;
      }
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
