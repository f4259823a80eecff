package io.warrenmq.broker.session;

import io.warrenmq.broker.protocol.AmqpMethod;
import io.warrenmq.broker.protocol.AmqpMethod.ExchangeBind;
import io.warrenmq.broker.protocol.AmqpMethod.ExchangeDeclare;
import io.warrenmq.broker.protocol.AmqpMethod.ExchangeDelete;
import io.warrenmq.broker.protocol.AmqpMethod.ExchangeUnbind;
import io.warrenmq.broker.protocol.AmqpMethod.QueueBind;
import io.warrenmq.broker.protocol.AmqpMethod.QueueDeclare;
import io.warrenmq.broker.protocol.AmqpMethod.QueueDelete;
import io.warrenmq.broker.protocol.AmqpMethod.QueueUnbind;

/**
 * Line feeds and carriage returns in exchange and queue names, which RabbitMQ removes from the
 * names of exchange.declare, exchange.delete, queue.declare, queue.delete and the four bind and
 * unbind methods before it looks at them (rabbit_channel's {@code strip_cr_lf}): {@code "a\nb"}
 * declares, binds and deletes {@code "ab"}. Every other method takes names as sent — publishing to
 * exchange {@code "a\nb"}, or consuming, getting or purging queue {@code "a\nb"}, finds nothing —
 * and routing keys keep their line breaks everywhere.
 *
 * <p>RabbitMQ expands an empty queue name to the channel's last declared queue before it strips, so
 * a name made only of line breaks never means that queue: it is kept as sent here (the queue it
 * names cannot exist, as declaring strips), where RabbitMQ looks for the queue {@code ''}.
 */
final class LineBreaksInNames {

  private LineBreaksInNames() {}

  /** {@code m} with line breaks removed from the names RabbitMQ removes them from. */
  static AmqpMethod strip(AmqpMethod m) {
    if (m instanceof ExchangeDeclare d && hasLineBreak(d.exchange())) {
      return new ExchangeDeclare(
          d.ticket(),
          strip(d.exchange()),
          d.type(),
          d.passive(),
          d.durable(),
          d.autoDelete(),
          d.internal(),
          d.nowait(),
          d.arguments());
    }
    if (m instanceof ExchangeDelete d && hasLineBreak(d.exchange())) {
      return new ExchangeDelete(d.ticket(), strip(d.exchange()), d.ifUnused(), d.nowait());
    }
    if (m instanceof ExchangeBind b && hasLineBreak(b.destination(), b.source())) {
      return new ExchangeBind(
          b.ticket(),
          strip(b.destination()),
          strip(b.source()),
          b.routingKey(),
          b.nowait(),
          b.arguments());
    }
    if (m instanceof ExchangeUnbind u && hasLineBreak(u.destination(), u.source())) {
      return new ExchangeUnbind(
          u.ticket(),
          strip(u.destination()),
          strip(u.source()),
          u.routingKey(),
          u.nowait(),
          u.arguments());
    }
    if (m instanceof QueueDeclare d && hasLineBreak(d.queue())) {
      return new QueueDeclare(
          d.ticket(),
          strip(d.queue()),
          d.passive(),
          d.durable(),
          d.exclusive(),
          d.autoDelete(),
          d.nowait(),
          d.arguments());
    }
    if (m instanceof QueueDelete d && hasLineBreak(d.queue())) {
      return new QueueDelete(
          d.ticket(), stripQueue(d.queue()), d.ifUnused(), d.ifEmpty(), d.nowait());
    }
    if (m instanceof QueueBind b && hasLineBreak(b.queue(), b.exchange())) {
      return new QueueBind(
          b.ticket(),
          stripQueue(b.queue()),
          strip(b.exchange()),
          b.routingKey(),
          b.nowait(),
          b.arguments());
    }
    if (m instanceof QueueUnbind u && hasLineBreak(u.queue(), u.exchange())) {
      return new QueueUnbind(
          u.ticket(), stripQueue(u.queue()), strip(u.exchange()), u.routingKey(), u.arguments());
    }
    return m;
  }

  /** A queue name where an empty one would mean the last declared queue: never made empty. */
  private static String stripQueue(String name) {
    String stripped = strip(name);
    return stripped.isEmpty() ? name : stripped;
  }

  private static String strip(String name) {
    return hasLineBreak(name) ? name.replace("\n", "").replace("\r", "") : name;
  }

  private static boolean hasLineBreak(String name) {
    return name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0;
  }

  private static boolean hasLineBreak(String first, String second) {
    return hasLineBreak(first) || hasLineBreak(second);
  }
}
