package io.warrenmq.broker.channel;

import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.store.SyncListener;

/** What a channel needs from its broker. */
public interface Services {

  MemoryAccount memory();

  /** Calls back once every store write made so far is committed and synced. */
  void whenSynced(SyncListener listener);

  /** A queue's ready backlog, in bytes, past which its publishers are paused. */
  long queueBacklogBytes();
}
