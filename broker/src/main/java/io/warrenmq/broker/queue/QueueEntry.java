package io.warrenmq.broker.queue;

import io.warrenmq.broker.message.Message;

/**
 * A message's place in one queue. The sequence number orders the queue: a message that comes back
 * (nack, reject, a closed channel) goes back to the place its number gives it.
 *
 * <p>In a priority queue the number also carries the message's priority: it is {@link #position the
 * arrival number less the priority times 2<sup>55</sup>}, so that ordering by it gives the highest
 * priority first and arrival order within a priority, and a stored entry keeps its place across a
 * restart. Without priorities (priority 0) it is the arrival number itself.
 *
 * <p>While it is out with a consumer, the queue may have it delivered in another form ({@link
 * #message()}): a quorum queue adds {@code x-delivery-count}. The queue and its storage keep the
 * message as it came; the delivered form goes when the entry comes back or is settled.
 */
public final class QueueEntry {

  /** Arrival numbers stay below this (2^55: a thousand years at a million a second). */
  static final long PRIORITY_STEP = 1L << 55;

  private final long sequence;
  private final Message message;
  private final long expiresAt;
  private boolean redelivered;
  private int deliveryCount;
  private Message delivered;

  QueueEntry(long sequence, Message message, boolean redelivered, long expiresAt) {
    this.sequence = sequence;
    this.message = message;
    this.redelivered = redelivered;
    this.expiresAt = expiresAt;
  }

  /**
   * An entry read back from storage (paged in, or recovered after a restart). Its time to live, if
   * it had one, is not kept: it lives until consumed.
   */
  public static QueueEntry restored(long sequence, Message message, boolean redelivered) {
    return new QueueEntry(sequence, message, redelivered, Long.MAX_VALUE);
  }

  /** A restored entry of a queue that counts deliveries (a quorum queue). */
  public static QueueEntry restored(
      long sequence, Message message, boolean redelivered, int deliveryCount) {
    QueueEntry e = restored(sequence, message, redelivered);
    e.deliveryCount = deliveryCount;
    return e;
  }

  /** When it expires (epoch milliseconds), or {@link Long#MAX_VALUE} for never. */
  long expiresAt() {
    return expiresAt;
  }

  /** Whether its time to live (queue {@code x-message-ttl} or message expiration) has run out. */
  boolean expired(long nowMillis) {
    return nowMillis >= expiresAt;
  }

  public long sequence() {
    return sequence;
  }

  /** The place of the {@code arrival}-th message of a queue, at {@code priority} (0 to 255). */
  public static long position(int priority, long arrival) {
    return arrival - priority * PRIORITY_STEP;
  }

  /** The priority a place gives (0 to 255; 0 in a queue without priorities). */
  public static int priority(long position) {
    return (int) -Math.floorDiv(position, PRIORITY_STEP);
  }

  /** The arrival number a place gives. */
  public static long arrival(long position) {
    return Math.floorMod(position, PRIORITY_STEP);
  }

  /** The priority this entry is ordered by. */
  public int priority() {
    return priority(sequence);
  }

  /** The message as the consumer it was delivered to sends it on. */
  public Message message() {
    Message d = delivered;
    return d != null ? d : message;
  }

  /** Whether the message was delivered before and came back unacknowledged. */
  public boolean redelivered() {
    return redelivered;
  }

  void markRedelivered() {
    redelivered = true;
  }

  /**
   * How often the message came back unsettled (a quorum queue's {@code x-delivery-count}); 0 in a
   * queue that does not count.
   */
  public int deliveryCount() {
    return deliveryCount;
  }

  void countReturn() {
    deliveryCount++;
  }

  /** Has the message delivered as {@code form}, which this entry now owns. */
  void deliverAs(Message form) {
    undecorate();
    delivered = form;
  }

  /** Lets go of the delivered form: the entry is back in (or leaving) its queue. */
  void undecorate() {
    Message d = delivered;
    if (d != null) {
      delivered = null;
      d.release();
    }
  }
}
