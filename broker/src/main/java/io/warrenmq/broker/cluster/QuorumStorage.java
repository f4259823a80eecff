package io.warrenmq.broker.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.store.memory.MemoryQueueStorage;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * The storage of a quorum queue this node leads: its ready messages on the heap, as a classic
 * queue's, and every change to them written to the queue's group ({@link QuorumStateMachine}), so
 * that a majority of its nodes hold what a publisher was confirmed.
 *
 * <p>Changes go in batches, one log entry each, one batch at a time: what the queue does while a
 * batch is on its way fills the next. So a batch that completes covers everything added before the
 * one being filled, which is what {@link #replicated()} promises.
 */
final class QuorumStorage implements QueueStorage {

  private final MemoryQueueStorage ready = new MemoryQueueStorage();
  private final RaftServer server;
  private final RaftGroupId group;
  private final long timeoutMillis;
  private final long nextSequence;
  private final ClientId client = ClientId.randomId();
  private long call;

  /** Guarded by this: the batch being filled, and the answer it will get. */
  private ByteBuf filling = Unpooled.buffer(256);

  private CompletableFuture<Boolean> fillingDone = new CompletableFuture<>();
  private CompletableFuture<Boolean> lastSent = CompletableFuture.completedFuture(true);
  private boolean sending;
  private boolean stopped;

  /**
   * @param entries what the group held when this node was elected, in order
   * @param returned the sequence numbers of those that were out with a consumer and came back
   */
  QuorumStorage(
      RaftServer server,
      RaftGroupId group,
      long timeoutMillis,
      List<QueueEntry> entries,
      List<Long> returned,
      long nextSequence) {
    this.server = server;
    this.group = group;
    this.timeoutMillis = timeoutMillis;
    this.nextSequence = nextSequence;
    for (QueueEntry e : entries) {
      ready.add(e);
    }
    synchronized (this) {
      for (long s : returned) {
        write(QuorumStateMachine.RETURNED, s);
      }
    }
  }

  @Override
  public void add(QueueEntry entry) {
    ready.add(entry);
    synchronized (this) {
      if (stopped) {
        return;
      }
      filling.writeByte(QuorumStateMachine.ENQUEUE);
      filling.writeLong(entry.sequence());
      int lengthAt = filling.writerIndex();
      filling.writeInt(0);
      Forwarding.writeMessage(filling, entry.message());
      filling.setInt(lengthAt, filling.writerIndex() - lengthAt - 4);
      sendIfIdle();
    }
  }

  @Override
  public QueueEntry poll() {
    return ready.poll();
  }

  @Override
  public QueueEntry peek() {
    return ready.peek();
  }

  @Override
  public QueueEntry takeFirst(long from, Predicate<QueueEntry> filter) {
    return ready.takeFirst(from, filter);
  }

  @Override
  public void requeue(List<QueueEntry> entries) {
    ready.requeue(entries);
    synchronized (this) {
      for (QueueEntry e : entries) {
        write(QuorumStateMachine.RETURNED, e.sequence());
      }
    }
  }

  @Override
  public void delivered(QueueEntry entry) {
    synchronized (this) {
      write(QuorumStateMachine.DELIVERED, entry.sequence());
    }
  }

  @Override
  public void settle(QueueEntry entry) {
    synchronized (this) {
      write(QuorumStateMachine.SETTLED, entry.sequence());
    }
  }

  @Override
  public int purge() {
    int n = 0;
    QueueEntry e;
    while ((e = ready.poll()) != null) {
      synchronized (this) {
        write(QuorumStateMachine.SETTLED, e.sequence());
      }
      e.message().release();
      n++;
    }
    return n;
  }

  @Override
  public int size() {
    return ready.size();
  }

  @Override
  public long bytes() {
    return ready.bytes();
  }

  @Override
  public long nextSequence() {
    return nextSequence;
  }

  /** The queue is gone here (deleted, or led elsewhere now): the group keeps what it holds. */
  @Override
  public void destroy() {
    stop();
    ready.destroy();
  }

  @Override
  public void close() {
    stop();
    ready.close();
  }

  private synchronized void stop() {
    stopped = true;
    filling.clear();
    fillingDone.complete(false);
  }

  @Override
  public synchronized CompletableFuture<Boolean> replicated() {
    return filling.isReadable() ? fillingDone : lastSent;
  }

  /** Under the monitor: one operation on a message, for the next batch. */
  private void write(byte op, long sequence) {
    if (stopped) {
      return;
    }
    filling.writeByte(op);
    filling.writeLong(sequence);
    sendIfIdle();
  }

  /** Under the monitor. */
  private void sendIfIdle() {
    if (sending || !filling.isReadable()) {
      return;
    }
    sending = true;
    ByteBuf batch = filling;
    CompletableFuture<Boolean> done = fillingDone;
    filling = Unpooled.buffer(Math.max(256, batch.readableBytes()));
    fillingDone = new CompletableFuture<>();
    lastSent = done;
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(client)
            .setServerId(server.getId())
            .setGroupId(group)
            .setCallId(++call)
            .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(batch.nioBuffer())))
            .setType(RaftClientRequest.writeRequestType())
            .build();
    CompletableFuture<Boolean> committed;
    try {
      committed =
          server
              .submitClientRequestAsync(request)
              .thenApply(reply -> reply.isSuccess())
              .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
              .exceptionally(failure -> false);
    } catch (java.io.IOException e) {
      committed = CompletableFuture.completedFuture(false);
    }
    committed.thenAccept(
        ok -> {
          done.complete(ok);
          synchronized (this) {
            sending = false;
            sendIfIdle();
          }
        });
  }
}
