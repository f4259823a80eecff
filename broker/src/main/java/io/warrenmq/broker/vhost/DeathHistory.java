package io.warrenmq.broker.vhost;

import io.warrenmq.broker.protocol.LongString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code x-death} header a dead letter carries, updated as RabbitMQ 3.10's {@code
 * rabbit_dead_letter:update_x_death_header/2} updates it, quirks included, since consumers read it:
 *
 * <ul>
 *   <li>a message that never died gets one entry with {@code count} 1, and the {@code
 *       x-first-death-reason}, {@code -queue} and {@code -exchange} headers;
 *   <li>otherwise the entries are first grouped by queue and reason — headers written by RabbitMQ
 *       before 3.x carry one entry per death and no count; each group becomes its first entry, with
 *       the group's size as its count if it had none, and the groups end up in reverse order of
 *       first appearance (RabbitMQ folds them into a list head-first) — then the entry for this
 *       queue and reason counts one more death (its time, exchange and routing keys stay those of
 *       the first) or a new one is made, and goes first, its keys sorted;
 *   <li>an {@code x-death} that is not an array (a client rewrote it) is replaced by one new entry.
 * </ul>
 */
final class DeathHistory {

  static final String X_DEATH = "x-death";

  private DeathHistory() {}

  /**
   * Records a death in {@code headers}, changing them.
   *
   * @param death the new entry without its count: reason, queue, time, exchange, routing-keys and,
   *     when the message had one, original-expiration
   */
  static void record(Map<String, Object> headers, Map<String, Object> death) {
    String queue = text(death.get("queue"));
    String reason = text(death.get("reason"));
    if (!headers.containsKey(X_DEATH)) {
      headers.put("x-first-death-reason", reason);
      headers.put("x-first-death-queue", queue);
      headers.put("x-first-death-exchange", death.get("exchange"));
      headers.put(X_DEATH, List.of(counted(death, 1)));
      return;
    }
    if (!(headers.get(X_DEATH) instanceof List<?> old)) {
      headers.put(X_DEATH, List.of(counted(death, 1)));
      return;
    }
    List<Object> deaths = new ArrayList<>();
    Map<String, Object> same = null;
    for (Object entry : grouped(old)) {
      if (same == null && entry instanceof Map<?, ?> m && matches(m, queue, reason)) {
        same = table(m);
      } else {
        deaths.add(entry);
      }
    }
    Map<String, Object> updated;
    if (same == null) {
      updated = counted(death, 1);
    } else {
      updated = same;
      updated.put("count", same.get("count") instanceof Number n ? n.longValue() + 1 : 1L);
    }
    deaths.add(0, new TreeMap<>(updated));
    headers.put(X_DEATH, deaths);
  }

  /**
   * One entry per queue and reason: the first of each group, counted by the group's size when it
   * has no count; groups in reverse order of first appearance, as RabbitMQ leaves them. A lone
   * entry is left as it is.
   */
  private static List<Object> grouped(List<?> deaths) {
    if (deaths.size() <= 1) {
      return new ArrayList<>(deaths);
    }
    List<Object> groups = new ArrayList<>();
    Set<List<String>> seen = new HashSet<>();
    for (Object entry : deaths) {
      if (!(entry instanceof Map<?, ?> m)) {
        groups.add(0, entry);
        continue;
      }
      String queue = text(m.get("queue"));
      String reason = text(m.get("reason"));
      if (!seen.add(java.util.Arrays.asList(queue, reason))) {
        continue;
      }
      int size = 0;
      Map<?, ?> first = null;
      for (Object other : deaths) {
        if (other instanceof Map<?, ?> o && matches(o, queue, reason)) {
          first = first == null ? o : first;
          size++;
        }
      }
      Map<String, Object> group = table(first);
      if (!group.containsKey("count")) {
        group = counted(group, size);
      }
      groups.add(0, group);
    }
    return groups;
  }

  private static boolean matches(Map<?, ?> entry, String queue, String reason) {
    return java.util.Objects.equals(text(entry.get("queue")), queue)
        && java.util.Objects.equals(text(entry.get("reason")), reason);
  }

  /** {@code entry} with a {@code count} put first, as RabbitMQ prepends it. */
  private static Map<String, Object> counted(Map<String, Object> entry, long count) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    m.putAll(entry);
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> table(Map<?, ?> m) {
    return new LinkedHashMap<>((Map<String, Object>) m);
  }

  static String text(Object v) {
    return v instanceof LongString || v instanceof String ? v.toString() : null;
  }
}
