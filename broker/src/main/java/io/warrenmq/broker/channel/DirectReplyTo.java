package io.warrenmq.broker.channel;

import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.store.memory.MemoryQueueStorage;
import io.warrenmq.broker.vhost.VirtualHost;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * RabbitMQ's direct reply-to for one channel: a consumer on {@code amq.rabbitmq.reply-to} gets a
 * private, unlisted queue under a generated name, and the channel's publishes with that reply-to
 * carry the generated name instead, so that replies reach it. Guarded by the channel's monitor.
 */
final class DirectReplyTo {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final VirtualHost vhost;
  private final long backlogBytes;
  private Queue queue;

  DirectReplyTo(VirtualHost vhost, long backlogBytes) {
    this.vhost = vhost;
    this.backlogBytes = backlogBytes;
  }

  /** The reply consumer's queue: one per channel, for a no-ack consumer only. */
  Queue open(boolean noAck) throws AmqpException {
    if (!noAck) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "reply consumer cannot acknowledge");
    }
    if (queue != null) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "reply consumer already set");
    }
    queue =
        new Queue(
            VirtualHost.REPLY_TO + "." + token(),
            vhost.name(),
            false,
            false,
            null,
            Map.of(),
            new MemoryQueueStorage(),
            backlogBytes,
            q -> {});
    vhost.registerReplyQueue(queue);
    return queue;
  }

  /** {@code msg} with its reply-to rewritten to the reply queue; releases {@code msg}. */
  Message address(Message msg, BasicProperties p) throws AmqpException {
    if (queue == null) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "fast reply consumer does not exist");
    }
    Message rewritten = msg.withProperties(p.withReplyTo(queue.name()));
    msg.release();
    return rewritten;
  }

  boolean isQueue(Queue q) {
    return q == queue;
  }

  /** The reply consumer went away: so does its queue. */
  void close() {
    if (queue != null) {
      vhost.unregisterReplyQueue(queue);
      queue.delete();
      queue = null;
    }
  }

  static String token() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
