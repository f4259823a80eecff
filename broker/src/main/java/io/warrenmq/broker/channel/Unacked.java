package io.warrenmq.broker.channel;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueEntry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A channel's delivered, unacknowledged messages by delivery tag, in tag order. Tags only grow, so
 * insertion order is tag order and "everything up to N" is a walk from the head.
 */
final class Unacked {

  /** One unacknowledged delivery; {@code consumer} is null for basic.get. */
  record Delivery(long tag, Consumer consumer, Queue queue, QueueEntry entry) {}

  private final LinkedHashMap<Long, Delivery> byTag = new LinkedHashMap<>();

  void add(Delivery d) {
    byTag.put(d.tag(), d);
  }

  /**
   * Removes the deliveries an ack, nack or reject names: {@code tag} alone, or with {@code
   * multiple} every tag up to it ({@code 0} meaning all).
   *
   * @throws AmqpException 406 when the tag is not outstanding, as RabbitMQ answers
   */
  List<Delivery> take(long tag, boolean multiple) throws AmqpException {
    if (multiple && tag == 0) {
      return takeAll();
    }
    if (!byTag.containsKey(tag)) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "unknown delivery tag %d", tag);
    }
    if (!multiple) {
      return List.of(byTag.remove(tag));
    }
    List<Delivery> taken = new ArrayList<>();
    Iterator<Map.Entry<Long, Delivery>> it = byTag.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Delivery> e = it.next();
      if (e.getKey() > tag) {
        break;
      }
      taken.add(e.getValue());
      it.remove();
    }
    return taken;
  }

  List<Delivery> takeAll() {
    List<Delivery> all = new ArrayList<>(byTag.values());
    byTag.clear();
    return all;
  }

  /** Puts deliveries back (tx.rollback), keeping tag order. */
  void restore(List<Delivery> deliveries) {
    if (deliveries.isEmpty()) {
      return;
    }
    List<Delivery> merged = new ArrayList<>(byTag.values());
    merged.addAll(deliveries);
    merged.sort((a, b) -> Long.compare(a.tag(), b.tag()));
    byTag.clear();
    for (Delivery d : merged) {
      byTag.put(d.tag(), d);
    }
  }
}
