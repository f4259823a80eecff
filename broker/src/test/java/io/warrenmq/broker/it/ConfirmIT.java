package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Publisher confirms: RabbitMQ's confirm.select extension and basic.ack from the broker. */
class ConfirmIT extends MessagingSupport {

  @Test
  void confirmSelectAnswersSelectOk() throws Exception {
    Channel channel = newConnection().createChannel();

    Object reply = channel.confirmSelect();

    assertTrue(reply instanceof AMQP.Confirm.SelectOk);
    assertEquals(1, channel.getNextPublishSeqNo());
  }

  @Test
  void publishesAreAckedWithIncreasingDeliveryTags() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.confirmSelect();
    List<String> acks = new CopyOnWriteArrayList<>();
    NavigableSet<Long> unconfirmed = new ConcurrentSkipListSet<>();
    channel.addConfirmListener(recorder(acks, unconfirmed));

    for (long tag = 1; tag <= 5; tag++) {
      assertEquals(tag, channel.getNextPublishSeqNo());
      unconfirmed.add(tag);
      publish(channel, queue, "m" + tag);
    }

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(unconfirmed::isEmpty);
    assertStrictlyIncreasing(acks);
    assertTrue(acks.stream().noneMatch(a -> a.startsWith("nack")), acks::toString);
  }

  @Test
  void waitForConfirmsOrDieReturnsOnceEverythingIsAcked() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.confirmSelect();

    for (int i = 0; i < 10; i++) {
      publish(channel, queue, "m" + i);
    }
    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);

    assertEquals(10, readyCount(queue));
  }

  @Test
  void anUnroutableMandatoryMessageIsReturnedAndThenAcked() throws Exception {
    Channel channel = newConnection().createChannel();
    channel.confirmSelect();
    List<String> events = new CopyOnWriteArrayList<>();
    channel.addReturnListener(
        r ->
            events.add(
                "return "
                    + r.getReplyCode()
                    + " "
                    + r.getReplyText()
                    + " "
                    + new String(r.getBody(), UTF_8)));
    channel.addConfirmListener(
        (tag, multiple) -> events.add("ack " + tag), (tag, multiple) -> events.add("nack " + tag));

    channel.basicPublish("", uniqueName("nowhere"), true, null, "lost".getBytes(UTF_8));

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> events.size() == 2);
    assertEquals(List.of("return 312 NO_ROUTE lost", "ack 1"), events);
  }

  @Test
  void anUnroutableMessageWithoutMandatoryIsAcked() throws Exception {
    Channel channel = newConnection().createChannel();
    channel.confirmSelect();

    channel.basicPublish("", uniqueName("nowhere"), null, "lost".getBytes(UTF_8));

    assertTrue(channel.waitForConfirms(TIMEOUT_SECONDS * 1000));
  }

  @Test
  void confirmSelectIsIdempotent() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.confirmSelect();

    channel.confirmSelect();
    publish(channel, queue, "m");

    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);
  }

  @Test
  void confirmSelectOnATransactionalChannelClosesItWith406() throws Exception {
    Channel channel = newConnection().createChannel();
    channel.txSelect();

    AMQP.Channel.Close close = channelError(channel, channel::confirmSelect);

    assertChannelClose(
        close,
        406,
        "PRECONDITION_FAILED - cannot switch from tx to confirm mode",
        CONFIRM,
        CONFIRM_SELECT);
  }

  @Test
  void txSelectOnAConfirmChannelClosesItWith406() throws Exception {
    Channel channel = newConnection().createChannel();
    channel.confirmSelect();

    AMQP.Channel.Close close = channelError(channel, channel::txSelect);

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - cannot switch from confirm to tx mode", TX, TX_SELECT);
  }

  @Test
  void aThousandAsyncPublishesAreAllConfirmedSomeWithMultiple() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.confirmSelect();
    List<String> acks = new CopyOnWriteArrayList<>();
    NavigableSet<Long> unconfirmed = new ConcurrentSkipListSet<>();
    channel.addConfirmListener(recorder(acks, unconfirmed));

    for (int i = 0; i < 1000; i++) {
      unconfirmed.add(channel.getNextPublishSeqNo());
      publish(channel, queue, "m" + i);
    }

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(unconfirmed::isEmpty);
    assertStrictlyIncreasing(acks);
    assertEquals("ack 1000", acks.get(acks.size() - 1).replace(" multiple", ""));
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1000);
  }

  /**
   * Persistent messages on a durable queue with a consumer that acks as fast as they come: each is
   * confirmed either after the sync that made it durable or, as in RabbitMQ, as soon as the queue
   * has it acknowledged — every one confirmed, none nacked, none confirmed twice on its own.
   */
  @Test
  void persistentMessagesAckedByAFastConsumerAreEachConfirmedAndNoneNacked() throws Exception {
    var connection = newConnection();
    Channel publisher = connection.createChannel();
    Channel consumer = connection.createChannel();
    String queue = "confirm-durable-" + java.util.UUID.randomUUID();
    publisher.queueDeclare(queue, true, false, true, null);
    consumer.basicQos(50);
    java.util.concurrent.atomic.AtomicInteger consumed =
        new java.util.concurrent.atomic.AtomicInteger();
    consumer.basicConsume(
        queue,
        false,
        (tag, d) -> {
          consumer.basicAck(d.getEnvelope().getDeliveryTag(), false);
          consumed.incrementAndGet();
        },
        tag -> {});
    publisher.confirmSelect();
    List<String> acks = new CopyOnWriteArrayList<>();
    NavigableSet<Long> unconfirmed = new ConcurrentSkipListSet<>();
    publisher.addConfirmListener(recorder(acks, unconfirmed));
    AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
    int messages = 3000;
    for (int i = 0; i < messages; i++) {
      unconfirmed.add(publisher.getNextPublishSeqNo());
      publisher.basicPublish("", queue, persistent, ("m" + i).getBytes(UTF_8));
    }

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(unconfirmed::isEmpty);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> consumed.get() == messages);
    assertTrue(acks.stream().noneMatch(a -> a.startsWith("nack")), () -> "nacks: " + acks);
    List<String> single = acks.stream().filter(a -> !a.endsWith("multiple")).toList();
    assertEquals(single.size(), single.stream().distinct().count(), () -> "repeated: " + acks);
    assertTrue(
        acks.stream().allMatch(a -> Long.parseLong(a.split(" ")[1]) <= messages),
        () -> "a confirm for a tag never used: " + acks);
  }

  @Test
  void confirmsAreCountedPerChannel() throws Exception {
    var connection = newConnection();
    Channel first = connection.createChannel();
    Channel second = connection.createChannel();
    String queue = declareQueue(first);
    first.confirmSelect();
    second.confirmSelect();
    List<String> firstAcks = new CopyOnWriteArrayList<>();
    List<String> secondAcks = new CopyOnWriteArrayList<>();
    NavigableSet<Long> firstUnconfirmed = new ConcurrentSkipListSet<>(List.of(1L, 2L));
    NavigableSet<Long> secondUnconfirmed = new ConcurrentSkipListSet<>(List.of(1L));
    first.addConfirmListener(recorder(firstAcks, firstUnconfirmed));
    second.addConfirmListener(recorder(secondAcks, secondUnconfirmed));

    publish(first, queue, "a", "b");
    publish(second, queue, "c");

    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> firstUnconfirmed.isEmpty() && secondUnconfirmed.isEmpty());
    assertEquals(List.of("ack 1"), secondAcks);
  }

  /**
   * A listener that records each ack as "ack TAG" or "ack TAG multiple" and removes what it
   * confirms from {@code unconfirmed}.
   */
  private static ConfirmListener recorder(List<String> acks, NavigableSet<Long> unconfirmed) {
    return new ConfirmListener() {
      @Override
      public void handleAck(long tag, boolean multiple) {
        acks.add("ack " + tag + (multiple ? " multiple" : ""));
        confirm(tag, multiple);
      }

      @Override
      public void handleNack(long tag, boolean multiple) {
        acks.add("nack " + tag + (multiple ? " multiple" : ""));
        confirm(tag, multiple);
      }

      private void confirm(long tag, boolean multiple) {
        if (multiple) {
          unconfirmed.headSet(tag, true).clear();
        } else {
          unconfirmed.remove(tag);
        }
      }
    };
  }

  private static void assertStrictlyIncreasing(List<String> acks) {
    List<Long> tags = new ArrayList<>();
    for (String ack : acks) {
      tags.add(Long.parseLong(ack.split(" ")[1]));
    }
    List<Long> sorted = new ArrayList<>(tags);
    Collections.sort(sorted);
    assertEquals(sorted, tags, "confirm tags must increase");
    assertEquals(tags.size(), tags.stream().distinct().count(), () -> "repeated tag: " + tags);
  }
}
