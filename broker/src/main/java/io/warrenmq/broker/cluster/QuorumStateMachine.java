package io.warrenmq.broker.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.queue.QueueEntry;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.MD5FileUtil;

/**
 * One quorum queue's replicated state, as every member of its group holds it: the messages the
 * queue holds, in sequence order, with how often each came back and whether it is out with a
 * consumer (RabbitMQ's {@code rabbit_fifo}, reduced to what a new leader needs to carry on).
 *
 * <p>Only the leader writes, in batches of operations, one log entry each: {@link #ENQUEUE} (the
 * sequence number the leader's queue gave the message, and the message), {@link #DELIVERED}, {@link
 * #RETURNED} and {@link #SETTLED} (a sequence number each). A follower elected leader rebuilds the
 * queue from this state: every message comes back marked redelivered (the old leader may have
 * handed any out just before it went), what was out with a consumer counted once more.
 */
final class QuorumStateMachine extends BaseStateMachine {

  static final byte ENQUEUE = 1;
  static final byte DELIVERED = 2;
  static final byte RETURNED = 3;
  static final byte SETTLED = 4;

  /** What happens to this node's part in the group: elections, as {@link QuorumQueues} hears. */
  interface Events {
    /** This node leads the group now and has applied everything its log had before. */
    void leading(QuorumStateMachine group);

    /** This node no longer leads the group. */
    void notLeading(QuorumStateMachine group);
  }

  /** A message the queue holds. */
  private static final class Held {
    final ByteString message;
    int deliveryCount;
    boolean out;

    Held(ByteString message) {
      this.message = message;
    }
  }

  private final RaftGroupId id;
  private final Events events;
  private final TreeMap<Long, Held> held = new TreeMap<>();
  private long highest = -1;
  private final SimpleStateMachineStorage snapshots = new SimpleStateMachineStorage();

  QuorumStateMachine(RaftGroupId id, Events events) {
    this.id = id;
    this.events = events;
  }

  RaftGroupId id() {
    return id;
  }

  @Override
  public CompletableFuture<org.apache.ratis.protocol.Message> applyTransaction(
      TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    ByteString data = entry.getStateMachineLogEntry().getLogData();
    synchronized (this) {
      apply(data);
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    }
    return CompletableFuture.completedFuture(org.apache.ratis.protocol.Message.EMPTY);
  }

  /** Applies one batch; under the monitor. Operations on messages it does not hold are no-ops. */
  private void apply(ByteString batch) {
    ByteBuf in = Unpooled.wrappedBuffer(batch.asReadOnlyByteBuffer());
    while (in.isReadable()) {
      byte op = in.readByte();
      long sequence = in.readLong();
      switch (op) {
        case ENQUEUE -> {
          int length = in.readInt();
          int at = in.readerIndex();
          in.skipBytes(length);
          highest = Math.max(highest, sequence);
          held.put(sequence, new Held(batch.substring(at, at + length)));
        }
        case DELIVERED -> {
          Held h = held.get(sequence);
          if (h != null) {
            h.out = true;
          }
        }
        case RETURNED -> {
          Held h = held.get(sequence);
          if (h != null) {
            h.out = false;
            h.deliveryCount++;
          }
        }
        case SETTLED -> held.remove(sequence);
        default -> throw new IllegalStateException("unknown quorum queue operation " + op);
      }
    }
  }

  /**
   * The queue as a new leader carries it on: every message held, in order, as an entry of this
   * node's, marked redelivered (what was out with a consumer counted once more).
   *
   * @param returned collects the sequence numbers of the messages that were out
   */
  synchronized List<QueueEntry> entries(MemoryAccount memory, Collection<Long> returned) {
    List<QueueEntry> entries = new ArrayList<>(held.size());
    for (Map.Entry<Long, Held> e : held.entrySet()) {
      Held h = e.getValue();
      int count = h.deliveryCount;
      // Every message comes marked redelivered: the old leader may have handed any of them out
      // just before it went, with the note of it not yet in the log (AMQP's "may have been
      // delivered before"). Those known out are counted as returned too.
      boolean redelivered = true;
      if (h.out) {
        count++;
        returned.add(e.getKey());
      }
      ByteBuf in = Unpooled.wrappedBuffer(h.message.asReadOnlyByteBuffer());
      Message message = Forwarding.readMessage(in, memory);
      entries.add(QueueEntry.restored(e.getKey(), message, redelivered, count));
    }
    return entries;
  }

  /** The sequence number after the highest the queue ever gave. */
  synchronized long nextSequence() {
    return highest + 1;
  }

  // ------------------------------------------------------------------ snapshots

  /**
   * Writes what the queue holds now to a snapshot file, so that the log before it can go (a
   * restarting member reads the snapshot and the log after it; a member too far behind gets the
   * snapshot from the leader). Ratis calls it every few thousand entries.
   */
  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last;
    File file;
    synchronized (this) {
      last = getLastAppliedTermIndex();
      if (last.getIndex() < 0) {
        return RaftLog.INVALID_LOG_INDEX;
      }
      file = snapshots.getSnapshotFile(last.getTerm(), last.getIndex());
      File partial = new File(file.getPath() + ".partial");
      try (DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(new FileOutputStream(partial)))) {
        out.writeLong(highest);
        out.writeInt(held.size());
        for (Map.Entry<Long, Held> e : held.entrySet()) {
          Held h = e.getValue();
          out.writeLong(e.getKey());
          out.writeInt(h.deliveryCount);
          out.writeBoolean(h.out);
          out.writeInt(h.message.size());
          h.message.writeTo(out);
        }
      }
      Files.move(partial.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE);
    }
    MD5Hash digest = MD5FileUtil.computeAndSaveMd5ForFile(file);
    snapshots.updateLatestSnapshot(
        new SingleFileSnapshotInfo(new FileInfo(file.toPath(), digest), last));
    return last.getIndex();
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId group, RaftStorage storage)
      throws IOException {
    super.initialize(server, group, storage);
    snapshots.init(storage);
    load(snapshots.getLatestSnapshot());
  }

  /** After the leader installed a snapshot here: the queue is what it says. */
  @Override
  public void reinitialize() throws IOException {
    load(snapshots.loadLatestSnapshot());
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return snapshots;
  }

  private synchronized void load(SingleFileSnapshotInfo snapshot) throws IOException {
    if (snapshot == null) {
      return;
    }
    held.clear();
    try (DataInputStream in =
        new DataInputStream(
            new BufferedInputStream(Files.newInputStream(snapshot.getFile().getPath())))) {
      highest = in.readLong();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        long sequence = in.readLong();
        int count = in.readInt();
        boolean out = in.readBoolean();
        byte[] message = new byte[in.readInt()];
        in.readFully(message);
        Held h = new Held(UnsafeByteOperations.unsafeWrap(message));
        h.deliveryCount = count;
        h.out = out;
        held.put(sequence, h);
      }
    }
    setLastAppliedTermIndex(snapshot.getTermIndex());
  }

  @Override
  public void notifyLeaderReady() {
    events.leading(this);
  }

  @Override
  public void notifyNotLeader(Collection<TransactionContext> pendingEntries) throws IOException {
    events.notLeading(this);
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeader) {
    if (!member.getPeerId().equals(newLeader)) {
      events.notLeading(this);
    }
  }
}
