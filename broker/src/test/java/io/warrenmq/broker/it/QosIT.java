package io.warrenmq.broker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * basic.qos prefetch limits (AMQP 0-9-1 §1.8.3.1). RabbitMQ reads the {@code global} flag its own
 * way: {@code false} limits each consumer started afterwards, {@code true} limits the whole
 * channel.
 */
class QosIT extends MessagingSupport {

  @Test
  void prefetchOneAllowsOneUnackedMessageAtATime() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");
    channel.basicQos(1);

    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);

    Delivery a = next(deliveries);
    assertEquals("a", body(a));
    assertEquals(2, readyCount(queue), "b and c wait until a is acked");
    assertTrue(deliveries.isEmpty());
    channel.basicAck(a.getEnvelope().getDeliveryTag(), false);
    Delivery b = next(deliveries);
    assertEquals("b", body(b));
    assertEquals(1, readyCount(queue));
    channel.basicAck(b.getEnvelope().getDeliveryTag(), false);
    assertEquals("c", body(next(deliveries)));
  }

  @Test
  void perConsumerPrefetchGivesEachConsumerOnAChannelItsOwnLimit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    channel.basicQos(2, false);

    BlockingQueue<Delivery> first = consume(channel, queue, false);
    BlockingQueue<Delivery> second = consume(channel, queue, false);

    nextBodies(first, 2);
    nextBodies(second, 2);
    assertEquals(6, readyCount(queue));
    assertEquals(0, first.size() + second.size());
  }

  @Test
  void globalPrefetchLimitsTheWholeChannel() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    channel.basicQos(3, true);
    AtomicInteger delivered = new AtomicInteger();
    BlockingQueue<Delivery> unacked = new LinkedBlockingQueue<>();

    for (int i = 0; i < 2; i++) {
      channel.basicConsume(
          queue,
          false,
          (tag, d) -> {
            delivered.incrementAndGet();
            unacked.add(d);
          },
          tag -> {});
    }

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> delivered.get() == 3);
    assertEquals(7, readyCount(queue));
    assertEquals(3, delivered.get(), "two consumers share the channel's limit of 3");
    channel.basicAck(next(unacked).getEnvelope().getDeliveryTag(), false);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> delivered.get() == 4);
    assertEquals(6, readyCount(queue));
  }

  @Test
  void perConsumerAndChannelLimitsBothApply() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    channel.basicQos(2, false);
    channel.basicQos(3, true);

    BlockingQueue<Delivery> first = consume(channel, queue, false);
    BlockingQueue<Delivery> second = consume(channel, queue, false);

    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> first.size() + second.size() == 3);
    assertEquals(7, readyCount(queue));
    assertTrue(first.size() <= 2 && second.size() <= 2, first.size() + "/" + second.size());
  }

  @Test
  void prefetchZeroMeansNoLimit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    for (int i = 0; i < 50; i++) {
      publish(channel, queue, Integer.toString(i));
    }
    channel.basicQos(0);

    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);

    assertEquals(50, nextBodies(deliveries, 50).size());
    assertEquals(0, readyCount(queue));
  }

  @Test
  void aFastConsumerGetsWhatASlowOneCannotTake() throws Exception {
    Connection connection = newConnection();
    Channel slow = connection.createChannel();
    String queue = declareQueue(slow);
    slow.basicQos(1);
    BlockingQueue<Delivery> slowDeliveries = consume(slow, queue, false);
    Channel fast = connection.createChannel();
    fast.basicQos(1);
    AtomicInteger fastCount = new AtomicInteger();
    fast.basicConsume(
        queue,
        false,
        (tag, d) -> {
          fastCount.incrementAndGet();
          fast.basicAck(d.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});
    Channel publisher = newConnection().createChannel();

    for (int i = 0; i < 20; i++) {
      publish(publisher, queue, Integer.toString(i));
    }

    // the slow consumer holds its one message unacked; everything else goes to the fast one
    Delivery held = next(slowDeliveries);
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> fastCount.get() == 19);
    assertTrue(slowDeliveries.isEmpty());
    assertEquals(0, readyCount(queue));
    slow.basicAck(held.getEnvelope().getDeliveryTag(), false);
  }

  @Test
  void changingPrefetchAffectsOnlyConsumersStartedAfterwards() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicQos(1);
    BlockingQueue<Delivery> before = consume(channel, queue, false);
    channel.basicQos(3);
    BlockingQueue<Delivery> after = consume(channel, queue, false);
    Channel publisher = newConnection().createChannel();

    for (int i = 0; i < 10; i++) {
      publish(publisher, queue, Integer.toString(i));
    }

    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> before.size() + after.size() == 4);
    assertEquals(6, readyCount(queue));
    assertEquals(1, before.size(), "the first consumer keeps prefetch 1");
    assertEquals(3, after.size(), "the second consumer has prefetch 3");
  }

  @Test
  void aPrefetchSizeIsNotImplemented() throws Exception {
    Channel channel = newConnection().createChannel();

    AMQP.Connection.Close close = connectionError(channel, () -> channel.basicQos(1024, 1, false));

    assertConnectionClose(
        close, 540, "NOT_IMPLEMENTED - prefetch_size!=0 (1024)", BASIC, BASIC_QOS);
  }

  @Test
  void prefetchAppliesToRequeuedMessagesToo() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b");
    channel.basicQos(1);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    Delivery a = next(deliveries);

    channel.basicNack(a.getEnvelope().getDeliveryTag(), false, true);

    Delivery again = next(deliveries);
    assertEquals("a", body(again));
    assertTrue(again.getEnvelope().isRedeliver());
    assertEquals(1, readyCount(queue));
    assertEquals(List.of(), List.copyOf(deliveries));
  }

  @Test
  void aNoAckConsumerIsNotLimitedByPrefetch() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicQos(1, false);
    channel.basicQos(1, true);
    publish(channel, queue, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);

    assertEquals(
        List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), nextBodies(deliveries, 10));
    assertEquals(0, readyCount(queue));
  }

  @Test
  void consumersWithCreditAreServedInTurn() throws Exception {
    Connection connection = newConnection();
    Channel publisher = connection.createChannel();
    String queue = declareQueue(publisher);
    List<AtomicInteger> counts = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Channel c = connection.createChannel();
      c.basicQos(10);
      AtomicInteger count = new AtomicInteger();
      counts.add(count);
      c.basicConsume(
          queue,
          false,
          (tag, d) -> {
            count.incrementAndGet();
            c.basicAck(d.getEnvelope().getDeliveryTag(), false);
          },
          tag -> {});
    }

    for (int i = 0; i < 30; i++) {
      publish(publisher, queue, Integer.toString(i));
    }

    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> counts.stream().mapToInt(AtomicInteger::get).sum() == 30);
    // Each had credit all along: strict round-robin gives each a third.
    for (AtomicInteger count : counts) {
      assertEquals(10, count.get());
    }
  }
}
