package io.warrenmq.broker.store;

/** Told when everything written before it was registered is on disk and synced, or failed. */
@FunctionalInterface
public interface SyncListener {

  /**
   * @param failure null when the writes are durable; else why they may be lost
   */
  void synced(Throwable failure);
}
