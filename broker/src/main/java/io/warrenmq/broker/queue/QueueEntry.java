package io.warrenmq.broker.queue;

import io.warrenmq.broker.message.Message;

/**
 * A message's place in one queue. The sequence number orders the queue: a message that comes back
 * (nack, reject, a closed channel) goes back to the place its number gives it.
 */
public final class QueueEntry {

  private final long sequence;
  private final Message message;
  private boolean redelivered;

  QueueEntry(long sequence, Message message, boolean redelivered) {
    this.sequence = sequence;
    this.message = message;
    this.redelivered = redelivered;
  }

  /** An entry read back from storage (paged in, or recovered after a restart). */
  public static QueueEntry restored(long sequence, Message message, boolean redelivered) {
    return new QueueEntry(sequence, message, redelivered);
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
