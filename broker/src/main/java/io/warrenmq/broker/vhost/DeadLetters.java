package io.warrenmq.broker.vhost;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.message.SenderSelected;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.queue.Queue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a dead-lettered message is re-published, as RabbitMQ 3.10 does it: to the queue's {@code
 * x-dead-letter-exchange}, with its {@code x-dead-letter-routing-key} or else the message's own
 * routing key; the {@code x-death} header records the death ({@link DeathHistory}); the {@code
 * expiration} property is removed and kept as the entry's {@code original-expiration}. With a
 * dead-letter routing key the {@code CC} header is removed; without one the letter is routed again
 * with the keys its publisher selected (CC and BCC) as well, as RabbitMQ routes it with all the
 * message's routing keys. The body is shared, not copied.
 */
final class DeadLetters {

  private DeadLetters() {}

  /** The message to publish to the dead-letter exchange; takes nothing from {@code message}. */
  static Message letter(Queue from, Message message, String reason, String exchange) {
    BasicProperties p = message.properties();
    Map<String, Object> headers =
        p.headers() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(p.headers());
    Map<String, Object> death = new LinkedHashMap<>();
    death.put("reason", reason);
    death.put("queue", from.name());
    death.put("time", Instant.ofEpochSecond(System.currentTimeMillis() / 1000));
    death.put("exchange", message.exchange());
    death.put("routing-keys", deathRoutingKeys(message, p.headers()));
    if (p.expiration() != null) {
      death.put("original-expiration", p.expiration());
    }
    DeathHistory.record(headers, death);
    String key = from.settings().deadLetterRoutingKey();
    if (key != null) {
      headers.remove(SenderSelected.CC); // a new routing key replaces the sender's selection
    }
    Message letter =
        message.republish(
            exchange,
            key != null ? key : message.routingKey(),
            p.withHeaders(headers).withExpiration(null));
    if (key == null) {
      letter.senderSelectedKeys(SenderSelected.keysOf(message));
    }
    return letter;
  }

  /** The x-death entry's routing keys: the message's own, then those its CC and BCC select. */
  private static List<String> deathRoutingKeys(Message message, Map<String, Object> headers) {
    List<String> keys = new ArrayList<>();
    keys.add(message.routingKey());
    keys.addAll(SenderSelected.headerKeys(headers));
    return keys;
  }

  /**
   * Whether dead-lettering {@code letter} to {@code target} would go round a cycle that no consumer
   * broke, as RabbitMQ 3.10's {@code is_cycle/2} decides: {@code target} has an entry in the
   * history, and neither it nor any entry before it (the deaths since) is a rejection. RabbitMQ
   * drops the letter then.
   */
  static boolean cycle(Message letter, Queue target) {
    Map<String, Object> headers = letter.properties().headers();
    if (headers == null || !(headers.get(DeathHistory.X_DEATH) instanceof List<?> deaths)) {
      return false;
    }
    for (Object o : deaths) {
      if (!(o instanceof Map<?, ?> m) || "rejected".equals(DeathHistory.text(m.get("reason")))) {
        // A rejection, or something a client put there: not a fully automatic cycle.
        return false;
      }
      if (target.name().equals(DeathHistory.text(m.get("queue")))) {
        return true;
      }
    }
    return false;
  }
}
