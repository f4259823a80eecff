package io.warrenmq.broker.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The cluster's metadata as a Raft state machine: every committed command is handed, in log order,
 * to the node's {@link Applier} (the broker's definitions), on every node alike, so every node
 * holds the same definitions. The applier's answer goes back to the node that submitted the
 * command.
 *
 * <p>Commands are applied from the start of the log when a node starts (no snapshots yet), so an
 * applier must rebuild the same state from the same commands; what it keeps on disk beside them
 * (queue contents) is keyed by the log index of the command that created it.
 */
final class MetadataStateMachine extends BaseStateMachine {

  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(MetadataStateMachine.class.getName());

  /** Applies one committed command to the node's state; deterministic. */
  interface Applier {
    /**
     * @param index the command's log index, unique in the cluster's history
     * @return the answer for the submitter
     */
    byte[] apply(long index, byte[] command);
  }

  private final Applier applier;
  private final Object progress = new Object();
  private volatile java.util.function.Function<java.nio.ByteBuffer, CompletableFuture<byte[]>>
      requests;

  MetadataStateMachine(Applier applier) {
    this.applier = applier;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    byte[] command = entry.getStateMachineLogEntry().getLogData().toByteArray();
    byte[] answer;
    try {
      answer = applier.apply(entry.getIndex(), command);
    } catch (RuntimeException e) {
      // A command every node refuses alike changes nothing; the submitter hears why. A failure
      // of this node's own would leave it behind the others: said loudly.
      LOG.log(Level.WARNING, "metadata command at index " + entry.getIndex() + " failed here", e);
      answer = Commands.failure(e);
    }
    applied(entry.getTerm(), entry.getIndex());
    return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(answer)));
  }

  /**
   * Answers what another node asks of this one directly (not through the log): forwarded messages.
   */
  void answerRequests(
      java.util.function.Function<java.nio.ByteBuffer, CompletableFuture<byte[]>> handler) {
    this.requests = handler;
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    var handler = requests;
    if (handler == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("not ready for requests"));
    }
    return handler
        .apply(request.getContent().asReadOnlyByteBuffer())
        .thenApply(answer -> Message.valueOf(ByteString.copyFrom(answer)));
  }

  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    // Configuration changes and the leader's no-op entries move the applied index too.
    super.notifyTermIndexUpdated(term, index);
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  private void applied(long term, long index) {
    updateLastAppliedTermIndex(term, index);
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  long appliedIndex() {
    return getLastAppliedTermIndex().getIndex();
  }

  /**
   * Waits until this node has applied the log up to {@code index}.
   *
   * @return whether it has, within the timeout
   */
  boolean awaitApplied(long index, long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    synchronized (progress) {
      while (appliedIndex() < index) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(progress, left);
      }
      return true;
    }
  }
}
