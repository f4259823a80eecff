package io.warrenmq.broker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Queue length limits as RabbitMQ has them: {@code x-max-length} and {@code x-max-length-bytes}
 * count ready messages; by default the oldest are dropped (and dead-lettered, reason maxlen), with
 * {@code x-overflow} {@code reject-publish} new ones are refused (nacked under confirms), with
 * {@code reject-publish-dlx} refused and dead-lettered.
 */
class MaxLengthIT extends MessagingSupport {

  /** Publishes and waits until the broker has dealt with every message (taken or refused). */
  private static void publishSettled(Channel channel, String queue, String... bodies)
      throws Exception {
    channel.confirmSelect();
    publish(channel, queue, bodies);
    channel.waitForConfirms(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
  }

  private static List<String> drain(Channel channel, String queue) throws Exception {
    List<String> bodies = new ArrayList<>();
    GetResponse r;
    while ((r = channel.basicGet(queue, true)) != null) {
      bodies.add(body(r));
    }
    return bodies;
  }

  @Test
  void theOldestMessagesAreDroppedBeyondTheMaximumLength() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-length", 2));
    publishSettled(channel, queue, "m1", "m2", "m3", "m4");
    assertEquals(2, channel.queueDeclarePassive(queue).getMessageCount());
    assertEquals(List.of("m3", "m4"), drain(channel, queue));
  }

  @Test
  void droppedMessagesGoToTheDeadLetterExchangeAsMaxlen() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String queue =
        declareQueue(
            channel,
            arguments(
                "x-max-length",
                1,
                "x-dead-letter-exchange",
                "",
                "x-dead-letter-routing-key",
                dead));
    publish(channel, queue, "first", "second", "third");
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> channel.queueDeclarePassive(dead).getMessageCount() == 2);
    GetResponse r = channel.basicGet(dead, true);
    assertEquals("first", body(r));
    assertEquals("maxlen", r.getProps().getHeaders().get("x-first-death-reason").toString());
    assertEquals("second", body(channel.basicGet(dead, true)));
    assertEquals(List.of("third"), drain(channel, queue));
  }

  @Test
  void theLengthInBytesCountsBodies() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-length-bytes", 10));
    publishSettled(channel, queue, "aaaa", "bbbb", "cccc");
    assertEquals(List.of("bbbb", "cccc"), drain(channel, queue));
  }

  @Test
  void rejectPublishNacksWhatAFullQueueRefusesUnderConfirms() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue =
        declareQueue(channel, arguments("x-max-length", 1, "x-overflow", "reject-publish"));
    Set<Long> acked = new ConcurrentSkipListSet<>();
    Set<Long> nacked = new ConcurrentSkipListSet<>();
    channel.addConfirmListener(
        new ConfirmListener() {
          @Override
          public void handleAck(long tag, boolean multiple) {
            record(acked, tag, multiple);
          }

          @Override
          public void handleNack(long tag, boolean multiple) {
            record(nacked, tag, multiple);
          }

          private void record(Set<Long> into, long tag, boolean multiple) {
            if (multiple) {
              for (long t = 1; t <= tag; t++) {
                if (!acked.contains(t) && !nacked.contains(t)) {
                  into.add(t);
                }
              }
            } else {
              into.add(tag);
            }
          }
        });
    channel.confirmSelect();
    publish(channel, queue, "kept", "refused", "refused too");
    assertFalse(channel.waitForConfirms(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS)));
    assertEquals(Set.of(1L), acked);
    assertEquals(Set.of(2L, 3L), nacked);
    assertEquals(List.of("kept"), drain(channel, queue));
  }

  @Test
  void rejectPublishWithoutConfirmsDropsTheNewMessage() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue =
        declareQueue(channel, arguments("x-max-length", 2, "x-overflow", "reject-publish"));
    publishSettled(channel, queue, "a", "b", "c");
    assertEquals(List.of("a", "b"), drain(channel, queue));
    publishSettled(channel, queue, "d");
    assertEquals(List.of("d"), drain(channel, queue));
  }

  @Test
  void rejectPublishDlxDeadLettersWhatItRefuses() throws Exception {
    Channel channel = newConnection().createChannel();
    String dead = declareQueue(channel);
    String queue =
        declareQueue(
            channel,
            arguments(
                "x-max-length",
                1,
                "x-overflow",
                "reject-publish-dlx",
                "x-dead-letter-exchange",
                "",
                "x-dead-letter-routing-key",
                dead));
    publish(channel, queue, "in", "out");
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> channel.queueDeclarePassive(dead).getMessageCount() == 1);
    GetResponse r = channel.basicGet(dead, true);
    assertEquals("out", body(r));
    assertEquals("maxlen", r.getProps().getHeaders().get("x-first-death-reason").toString());
    assertEquals(List.of("in"), drain(channel, queue));
  }

  @Test
  void unacknowledgedMessagesDoNotCountTowardTheLimit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-length", 1));
    publishSettled(channel, queue, "held");
    GetResponse held = channel.basicGet(queue, false);
    assertEquals("held", body(held));
    publishSettled(channel, queue, "ready");
    assertEquals(1, channel.queueDeclarePassive(queue).getMessageCount());
    channel.basicReject(held.getEnvelope().getDeliveryTag(), true);
    // Back over the limit: the oldest, the one that came back, is dropped (as RabbitMQ does).
    assertEquals(List.of("ready"), drain(channel, queue));
  }
}
