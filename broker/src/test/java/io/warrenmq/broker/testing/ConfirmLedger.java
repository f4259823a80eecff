package io.warrenmq.broker.testing;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * What one confirm-mode channel's publisher confirms promised, checked as they arrive against what
 * RabbitMQ does ({@code rabbit_channel}'s confirm coalescing): every publish is confirmed once; a
 * confirm, single or multiple, names a publish that was not confirmed yet (a multiple one then
 * covers every earlier publish still waiting); nothing is confirmed that was not published. Any
 * thread may call it: publishers before each publish, the client's confirm thread for confirms.
 */
public final class ConfirmLedger {

  private final BitSet confirmed = new BitSet();
  private final BitSet nacked = new BitSet();
  private final List<String> problems = new ArrayList<>();
  private long started;
  private long contiguous;

  /**
   * A publish is about to go out: its sequence number is at most the returned one (several threads
   * may publish on one channel at once, so which one gets which number is the broker's choice).
   */
  public synchronized long publishing() {
    return ++started;
  }

  /** A publish that {@link #publishing} counted did not go out (it failed). */
  public synchronized void notPublished() {
    started--;
  }

  /** A basic.ack or basic.nack from the broker. */
  public synchronized void confirmed(long seqNo, boolean multiple, boolean ack) {
    String what = (ack ? "ack" : "nack") + (multiple ? " (multiple) " : " ") + seqNo;
    if (seqNo < 1 || seqNo > started) {
      problem(what + " names no publish: " + started + " started");
      return;
    }
    if (confirmed.get((int) seqNo)) {
      problem(what + " names a publish that was confirmed before");
    }
    int from = multiple ? (int) contiguous + 1 : (int) seqNo;
    for (int s = from; s <= seqNo; s++) {
      if (!confirmed.get(s)) {
        confirmed.set(s);
        if (!ack) {
          nacked.set(s);
        }
      }
    }
    while (confirmed.get((int) contiguous + 1)) {
      contiguous++;
    }
  }

  private void problem(String p) {
    if (problems.size() < 20) {
      problems.add(p);
    }
  }

  /** Whether publishes 1 to {@code n} are all confirmed. */
  public synchronized boolean confirmedUpTo(long n) {
    return contiguous >= n;
  }

  public synchronized boolean isConfirmed(long seqNo) {
    return confirmed.get((int) seqNo);
  }

  /** The sequence numbers confirmed so far (ack or nack). */
  public synchronized BitSet confirmedSeqNos() {
    return (BitSet) confirmed.clone();
  }

  /** Whether {@code seqNo} was confirmed by a nack. */
  public synchronized boolean isNacked(long seqNo) {
    return nacked.get((int) seqNo);
  }

  /** Publishes started so far. */
  public synchronized long started() {
    return started;
  }

  /** What broke the rules so far (empty when nothing did). */
  public synchronized List<String> problems() {
    return List.copyOf(problems);
  }
}
