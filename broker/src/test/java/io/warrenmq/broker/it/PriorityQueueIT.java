package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * Priority queues ({@code x-max-priority}): the highest message priority first, arrival order
 * within a priority, priorities above the maximum counted as the maximum — for consumers and
 * basic.get, and for messages that come back.
 */
class PriorityQueueIT extends MessagingSupport {

  /** Bodies and priorities (null: none) in publishing order. */
  private static final Object[][] MIXED = {
    {"a", null}, {"b", 1}, {"c", 9}, {"d", 5}, {"e", 3}, {"f", null}, {"g", 200}, {"h", 0}
  };

  /** {@link #MIXED} by priority, with 9 and 200 capped to the queue's maximum of 5. */
  private static final List<String> BY_PRIORITY = List.of("c", "d", "g", "e", "b", "a", "f", "h");

  private static void publishMixed(Channel channel, String queue) throws Exception {
    channel.confirmSelect();
    for (Object[] m : MIXED) {
      channel.basicPublish(
          "",
          queue,
          new AMQP.BasicProperties.Builder().priority((Integer) m[1]).build(),
          ((String) m[0]).getBytes());
    }
    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);
  }

  private static List<String> getAll(Channel channel, String queue) throws Exception {
    List<String> bodies = new ArrayList<>();
    for (GetResponse r = channel.basicGet(queue, true);
        r != null;
        r = channel.basicGet(queue, true)) {
      bodies.add(body(r) + (r.getEnvelope().isRedeliver() ? "*" : ""));
    }
    return bodies;
  }

  @Test
  void basicGetTakesTheHighestPriorityFirstCappedToTheMaximum() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-priority", 5));
    publishMixed(channel, queue);

    GetResponse first = channel.basicGet(queue, true);
    assertEquals("c", body(first));
    // The message keeps the priority it was published with; only its place is capped.
    assertEquals(9, first.getProps().getPriority());
    assertEquals(BY_PRIORITY.subList(1, BY_PRIORITY.size()), getAll(channel, queue));
  }

  @Test
  void aConsumerGetsTheBacklogByPriority() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-priority", 5));
    publishMixed(channel, queue);

    Channel consuming = newConnection().createChannel();
    BlockingQueue<Delivery> deliveries = consume(consuming, queue, true);
    assertEquals(BY_PRIORITY, nextBodies(deliveries, BY_PRIORITY.size()));
  }

  @Test
  void requeuedMessagesGoBackToTheirPlacesInPriorityOrder() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-priority", 5));
    publishMixed(channel, queue);

    GetResponse c = channel.basicGet(queue, false);
    GetResponse d = channel.basicGet(queue, false);
    GetResponse g = channel.basicGet(queue, false);
    GetResponse e = channel.basicGet(queue, false);
    assertEquals(List.of("c", "d", "g", "e"), List.of(body(c), body(d), body(g), body(e)));
    channel.basicAck(d.getEnvelope().getDeliveryTag(), false);
    channel.basicNack(e.getEnvelope().getDeliveryTag(), true, true);

    assertEquals(List.of("c*", "g*", "e*", "b", "a", "f", "h"), getAll(channel, queue));
  }

  @Test
  void aLaterMessageOfHigherPriorityOvertakesTheBacklog() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-priority", 10));
    channel.confirmSelect();
    for (int i = 0; i < 100; i++) {
      channel.basicPublish("", queue, null, ("low" + i).getBytes());
    }
    channel.basicPublish(
        "", queue, new AMQP.BasicProperties.Builder().priority(10).build(), "urgent".getBytes());
    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);

    List<String> all = getAll(channel, queue);
    assertEquals("urgent", all.get(0));
    assertEquals("low0", all.get(1));
    assertEquals("low99", all.get(100));
  }

  @Test
  void aQueueWithoutMaximumPriorityKeepsArrivalOrder() throws Exception {
    Channel channel = newConnection().createChannel();
    String plain = declareQueue(channel);
    String zero = declareQueue(channel, arguments("x-max-priority", 0));
    publishMixed(channel, plain);
    publishMixed(channel, zero);
    List<String> arrival = List.of("a", "b", "c", "d", "e", "f", "g", "h");
    assertEquals(arrival, getAll(channel, plain));
    assertEquals(arrival, getAll(channel, zero));
  }

  @Test
  void dropHeadDropsTheHighestPriorityMessageAsRabbitMqDoes() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, arguments("x-max-priority", 5, "x-max-length", 3));
    channel.confirmSelect();
    Object[][] messages = {{"a", 1}, {"b", 5}, {"c", 1}, {"d", 3}};
    for (Object[] m : messages) {
      channel.basicPublish(
          "",
          queue,
          new AMQP.BasicProperties.Builder().priority((Integer) m[1]).build(),
          ((String) m[0]).getBytes());
    }
    channel.waitForConfirmsOrDie(TIMEOUT_SECONDS * 1000);
    assertEquals(List.of("d", "a", "c"), getAll(channel, queue));
  }
}
