package io.warrenmq.broker.queue;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a quorum queue does that a classic one does not, as RabbitMQ 3.10's {@code rabbit_fifo} does
 * it on a single node. Used by {@link Queue} under its lock.
 *
 * <ul>
 *   <li><b>Delivery count.</b> Every return of a delivered message (nack or reject with requeue, a
 *       closed channel, basic.recover) counts; a redelivery carries the count in {@code
 *       x-delivery-count} (a long), and so does every basic.get, even the first.
 *   <li><b>Delivery limit.</b> A message returned more often than {@code x-delivery-limit} leaves
 *       the queue, for its dead-letter exchange with reason {@code delivery_limit} if it has one.
 *   <li><b>reject-publish</b> refuses publishes once the queue is <i>over</i> its limit, and keeps
 *       refusing until it is down to 80% of it ({@code rabbit_fifo}'s soft limit).
 *   <li><b>reject-publish-dlx</b> is not supported by quorum queues: they drop the head instead.
 * </ul>
 */
final class QuorumRules {

  static final String DELIVERY_COUNT = "x-delivery-count";

  private final long deliveryLimit;
  private final long maxLength;
  private final long maxLengthBytes;

  /** reject-publish: over the limit, and not yet back under the soft limit. */
  private boolean rejecting;

  QuorumRules(QueueSettings settings) {
    this.deliveryLimit = settings.deliveryLimit();
    this.maxLength = settings.maxLength();
    this.maxLengthBytes = settings.maxLengthBytes();
  }

  /** The overflow a quorum queue applies for the one its arguments ask for. */
  static QueueSettings.Overflow overflow(QueueSettings.Overflow asked) {
    return asked == QueueSettings.Overflow.REJECT_PUBLISH_DLX
        ? QueueSettings.Overflow.DROP_HEAD
        : asked;
  }

  /**
   * Has {@code entry} delivered with its count: always for basic.get, and for a consumer once it
   * has come back at least once.
   */
  void delivering(QueueEntry entry, boolean get) {
    if (get || entry.deliveryCount() > 0) {
      Message m = entry.message();
      BasicProperties p = m.properties();
      Map<String, Object> headers =
          p.headers() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(p.headers());
      headers.put(DELIVERY_COUNT, (long) entry.deliveryCount());
      entry.deliverAs(m.withProperties(p.withHeaders(headers)));
    }
  }

  /** Counts a return of {@code entry}; true when that takes it over the delivery limit. */
  boolean returned(QueueEntry entry) {
    entry.countReturn();
    return entry.deliveryCount() > deliveryLimit;
  }

  /** reject-publish: whether a publish is refused with the queue at {@code ready} messages. */
  boolean rejectsPublish(long ready, long readyBytes) {
    if (rejecting) {
      rejecting = !(atMostSoft(maxLength, ready) && atMostSoft(maxLengthBytes, readyBytes));
    }
    if (!rejecting) {
      rejecting =
          (maxLength >= 0 && ready > maxLength)
              || (maxLengthBytes >= 0 && readyBytes > maxLengthBytes);
    }
    return rejecting;
  }

  private static boolean atMostSoft(long limit, long value) {
    return limit < 0 || value <= (long) (limit * 0.8);
  }
}
