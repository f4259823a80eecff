package io.warrenmq.broker.vhost;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.queue.Queue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a dead-lettered message is re-published, as RabbitMQ 3.10 does it: to the queue's {@code
 * x-dead-letter-exchange}, with its {@code x-dead-letter-routing-key} or else the message's own
 * routing key; the {@code x-death} header gains (or counts again) an entry for this queue and
 * reason, most recent first, and {@code x-first-death-reason}, {@code -queue} and {@code -exchange}
 * are set once; the {@code expiration} property is removed and kept as the entry's {@code
 * original-expiration}. The body is shared, not copied.
 */
final class DeadLetters {

  private DeadLetters() {}

  /** The message to publish to the dead-letter exchange; takes nothing from {@code message}. */
  static Message letter(Queue from, Message message, String reason, String exchange) {
    BasicProperties p = message.properties();
    Map<String, Object> headers =
        p.headers() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(p.headers());
    List<Object> deaths = new ArrayList<>();
    Map<String, Object> entry = null;
    if (headers.get("x-death") instanceof List<?> old) {
      for (Object o : old) {
        if (entry == null
            && o instanceof Map<?, ?> m
            && from.name().equals(text(m.get("queue")))
            && reason.equals(text(m.get("reason")))) {
          @SuppressWarnings("unchecked")
          Map<String, Object> same = new LinkedHashMap<>((Map<String, Object>) m);
          entry = same;
        } else {
          deaths.add(o);
        }
      }
    }
    long now = System.currentTimeMillis() / 1000;
    if (entry == null) {
      entry = new LinkedHashMap<>();
      entry.put("count", 1L);
      entry.put("reason", reason);
      entry.put("queue", from.name());
      entry.put("time", Instant.ofEpochSecond(now));
      entry.put("exchange", message.exchange());
      entry.put("routing-keys", List.of(message.routingKey()));
      if (p.expiration() != null) {
        entry.put("original-expiration", p.expiration());
      }
    } else {
      entry.put("count", ((Number) entry.getOrDefault("count", 0L)).longValue() + 1);
      entry.put("time", Instant.ofEpochSecond(now));
    }
    deaths.add(0, entry);
    headers.put("x-death", deaths);
    headers.putIfAbsent("x-first-death-reason", reason);
    headers.putIfAbsent("x-first-death-queue", from.name());
    headers.putIfAbsent("x-first-death-exchange", message.exchange());
    String key = from.settings().deadLetterRoutingKey();
    return message.republish(
        exchange,
        key != null ? key : message.routingKey(),
        p.withHeaders(headers).withExpiration(null));
  }

  /**
   * Whether dead-lettering {@code letter} to {@code target} would go round a cycle that no consumer
   * broke: the message died in that queue before and was never rejected on the way (RabbitMQ drops
   * it then).
   */
  static boolean cycle(Message letter, Queue target) {
    Map<String, Object> headers = letter.properties().headers();
    if (headers == null || !(headers.get("x-death") instanceof List<?> deaths)) {
      return false;
    }
    boolean seen = false;
    for (Object o : deaths) {
      if (o instanceof Map<?, ?> m) {
        if ("rejected".equals(text(m.get("reason")))) {
          return false;
        }
        seen |= target.name().equals(text(m.get("queue")));
      }
    }
    return seen;
  }

  private static String text(Object v) {
    return v instanceof LongString || v instanceof String ? v.toString() : null;
  }
}
