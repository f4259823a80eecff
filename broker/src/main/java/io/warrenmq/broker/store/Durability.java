package io.warrenmq.broker.store;

/**
 * The durable store's promise to publishers: {@link #whenSynced} calls back once every write made
 * before the call is committed and synced to disk. Many calls share one sync (group commit).
 */
public interface Durability {

  /** A store that keeps nothing: every listener hears at once that there is nothing to wait for. */
  Durability NONE = listener -> listener.synced(null);

  void whenSynced(SyncListener listener);
}
