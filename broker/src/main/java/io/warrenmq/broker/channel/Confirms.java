package io.warrenmq.broker.channel;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.TreeSet;

/**
 * Publisher confirms of one channel (RabbitMQ's confirm mode): which publishes may be acked, and in
 * what order.
 *
 * <p>A transient (or unroutable) publish is confirmed once routed, a persistent one once the store
 * has synced it — or at once when every queue it reached has already settled it, as RabbitMQ does:
 * the queues no longer hold it, so there is nothing left to make durable. A publish a full queue
 * refused ({@code x-overflow=reject-publish}) is nacked. An ack never runs ahead of an earlier
 * publish still waiting, so a {@code multiple} ack covers a contiguous prefix; as in RabbitMQ
 * ({@code rabbit_channel}'s coalescing) it names a publish not confirmed before, so that no
 * sequence number is named twice.
 *
 * <p>Not thread-safe: the channel calls it under its monitor and sends what it returns, in order,
 * from its confirm executor.
 */
final class Confirms {

  /** One basic.ack or basic.nack to send. */
  record Confirm(long sequence, boolean multiple, boolean ack) {}

  private long published;
  private long ackedUpTo;

  /** Persistent publishes waiting for the disk (or for every queue to settle them), in order. */
  private final LinkedHashSet<Long> unsynced = new LinkedHashSet<>();

  /** Publishes forwarded to queues of other nodes that have not answered yet. */
  private final TreeSet<Long> forwarding = new TreeSet<>();

  /** Publishes a full queue refused: nacked in their turn. */
  private final TreeSet<Long> rejected = new TreeSet<>();

  /** Publishes above {@link #ackedUpTo} that were acked on their own, settled early. */
  private final TreeSet<Long> ackedAhead = new TreeSet<>();

  private long lastPersisted;
  private long syncRequestedUpTo;

  /** The next publish's sequence number. */
  long next() {
    return ++published;
  }

  /** Publish {@code sequence} waits for the store's sync (or for its queues to settle it). */
  void awaitSync(long sequence) {
    unsynced.add(sequence);
    lastPersisted = sequence;
  }

  /** Publish {@code sequence} waits for the other nodes it was forwarded to. */
  void awaitForward(long sequence) {
    forwarding.add(sequence);
  }

  /**
   * The other nodes answered for publish {@code sequence}: it is confirmed in its turn, or nacked
   * when they did not take it.
   */
  void forwarded(long sequence, boolean taken, List<Confirm> out) {
    if (!forwarding.remove(sequence)) {
      return;
    }
    if (!taken) {
      rejected.add(sequence);
    }
    if (unsynced.contains(sequence) || rejected.contains(sequence)) {
      confirmable(out);
      return;
    }
    confirmable(out);
    if (sequence > ackedUpTo) {
      out.add(new Confirm(sequence, false, true));
      ackedAhead.add(sequence);
    }
  }

  /** Publish {@code sequence} was refused by a full queue. */
  void rejected(long sequence) {
    rejected.add(sequence);
  }

  /**
   * The highest persistent publish not yet covered by a sync request, or 0: the caller asks the
   * store for one sync covering everything up to it.
   */
  long syncToRequest() {
    if (lastPersisted <= syncRequestedUpTo) {
      return 0;
    }
    syncRequestedUpTo = lastPersisted;
    return lastPersisted;
  }

  /** Every queue settled {@code sequence} before its sync: it may be confirmed now. */
  void settledEarly(long sequence, List<Confirm> out) {
    if (!unsynced.remove(sequence) || rejected.contains(sequence)) {
      return;
    }
    if (forwarding.contains(sequence)) {
      return; // confirmed when the other nodes answer
    }
    confirmable(out); // the contiguous prefix, with one multiple ack
    if (sequence > ackedUpTo) {
      out.add(new Confirm(sequence, false, true));
      ackedAhead.add(sequence);
    }
  }

  /** The store synced everything up to {@code upTo}, or failed to: nack what it lost. */
  void synced(long upTo, boolean failed, List<Confirm> out) {
    for (Iterator<Long> it = unsynced.iterator(); it.hasNext(); ) {
      long seq = it.next();
      if (seq > upTo) {
        break;
      }
      it.remove();
      if (failed) {
        ackUpTo(seq - 1, out);
        out.add(new Confirm(seq, false, false));
        ackedUpTo = seq;
      }
    }
    confirmable(out);
  }

  /**
   * Acks every publish below the oldest one still waiting for its sync, and nacks refused ones in
   * their turn.
   */
  void confirmable(List<Confirm> out) {
    while (true) {
      long firstUnsynced = unsynced.isEmpty() ? Long.MAX_VALUE : unsynced.iterator().next();
      if (!forwarding.isEmpty()) {
        firstUnsynced = Math.min(firstUnsynced, forwarding.first());
      }
      long firstRejected = rejected.isEmpty() ? Long.MAX_VALUE : rejected.first();
      long upTo = Math.min(Math.min(firstUnsynced, firstRejected) - 1, published);
      ackUpTo(upTo, out);
      // A refused publish is nacked once everything before it is confirmed (and, if another
      // queue stored it, once that write is synced).
      if (firstRejected < firstUnsynced && firstRejected == ackedUpTo + 1) {
        rejected.pollFirst();
        out.add(new Confirm(firstRejected, false, false));
        ackedUpTo = firstRejected;
        continue;
      }
      return;
    }
  }

  /**
   * Acks every publish up to {@code upTo} not acked yet, with one ack naming the last of them that
   * was not acked ahead on its own.
   */
  private void ackUpTo(long upTo, List<Confirm> out) {
    if (upTo <= ackedUpTo) {
      return;
    }
    long named = upTo;
    while (named > ackedUpTo && ackedAhead.contains(named)) {
      named--;
    }
    ackedAhead.headSet(upTo, true).clear();
    if (named > ackedUpTo) {
      out.add(new Confirm(named, named - ackedUpTo > 1, true));
    }
    ackedUpTo = upTo;
  }

  static List<Confirm> newList() {
    return new ArrayList<>(2);
  }
}
