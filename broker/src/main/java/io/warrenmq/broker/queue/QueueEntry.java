package io.warrenmq.broker.queue;

import io.warrenmq.broker.message.Message;

/**
 * A message's place in one queue. The sequence number orders the queue: a message that comes back
 * (nack, reject, a closed channel) goes back to the place its number gives it.
 */
public final class QueueEntry {

  private final long sequence;
  private final Message message;
  private final long expiresAt;
  private boolean redelivered;

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

  public Message message() {
    return message;
  }

  /** Whether the message was delivered before and came back unacknowledged. */
  public boolean redelivered() {
    return redelivered;
  }

  void markRedelivered() {
    redelivered = true;
  }
}
