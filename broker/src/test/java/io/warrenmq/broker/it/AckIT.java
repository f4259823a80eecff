package io.warrenmq.broker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * basic.ack, basic.nack, basic.reject and basic.recover, and what happens to unacknowledged
 * messages when their channel or connection goes away (AMQP 0-9-1 §1.8.3.13–1.8.3.17, §3.1.8).
 */
class AckIT extends MessagingSupport {

  @Test
  void ackingOneMessageLeavesTheOthersUnacked() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b");
    GetResponse a = channel.basicGet(queue, false);
    channel.basicGet(queue, false);

    channel.basicAck(a.getEnvelope().getDeliveryTag(), false);
    channel.basicRecover(true);

    GetResponse left = channel.basicGet(queue, true);
    assertEquals("b", body(left));
    assertTrue(left.getEnvelope().isRedeliver());
    assertNull(channel.basicGet(queue, true));
  }

  @Test
  void ackWithMultipleAcksEveryTagUpToAndIncludingIt() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");
    channel.basicGet(queue, false);
    GetResponse b = channel.basicGet(queue, false);
    channel.basicGet(queue, false);

    channel.basicAck(b.getEnvelope().getDeliveryTag(), true);
    channel.basicRecover(true);

    assertEquals("c", body(channel.basicGet(queue, true)));
    assertNull(channel.basicGet(queue, true));
  }

  @Test
  void ackWithTagZeroAndMultipleAcksEverythingOutstanding() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");
    for (int i = 0; i < 3; i++) {
      channel.basicGet(queue, false);
    }

    channel.basicAck(0, true); // AMQP 0-9-1 §1.8.3.13: zero with multiple means all outstanding
    channel.basicRecover(true);

    assertNull(channel.basicGet(queue, true));
    assertTrue(channel.isOpen());
  }

  @Test
  void nackWithMultipleAndRequeuePutsThemAllBackInOrder() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c", "d");
    channel.basicGet(queue, false);
    channel.basicGet(queue, false);
    GetResponse c = channel.basicGet(queue, false);

    channel.basicNack(c.getEnvelope().getDeliveryTag(), true, true);

    List<String> bodies = new ArrayList<>();
    List<Boolean> redelivered = new ArrayList<>();
    for (GetResponse r; (r = channel.basicGet(queue, true)) != null; ) {
      bodies.add(body(r));
      redelivered.add(r.getEnvelope().isRedeliver());
    }
    assertEquals(List.of("a", "b", "c", "d"), bodies);
    assertEquals(List.of(true, true, true, false), redelivered);
  }

  @Test
  void nackWithoutRequeueDropsTheMessage() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b");
    channel.basicGet(queue, false);
    GetResponse b = channel.basicGet(queue, false);

    channel.basicNack(b.getEnvelope().getDeliveryTag(), true, false);
    channel.basicRecover(true);

    assertNull(channel.basicGet(queue, true));
  }

  @Test
  void rejectWithRequeueReturnsTheMessageToItsOriginalPlace() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");
    GetResponse a = channel.basicGet(queue, false);
    GetResponse b = channel.basicGet(queue, false);

    // rejected newest first, they still go back ahead of "c" and in publish order
    channel.basicReject(b.getEnvelope().getDeliveryTag(), true);
    channel.basicReject(a.getEnvelope().getDeliveryTag(), true);

    GetResponse first = channel.basicGet(queue, true);
    GetResponse second = channel.basicGet(queue, true);
    GetResponse third = channel.basicGet(queue, true);
    assertEquals(List.of("a", "b", "c"), List.of(body(first), body(second), body(third)));
    assertTrue(first.getEnvelope().isRedeliver());
    assertTrue(second.getEnvelope().isRedeliver());
    assertFalse(third.getEnvelope().isRedeliver());
  }

  @Test
  void rejectWithRequeueRedeliversToTheSameConsumerFirst() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.basicQos(1);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    publish(channel, queue, "a", "b");
    Delivery a = next(deliveries);
    assertEquals("a", body(a));

    channel.basicReject(a.getEnvelope().getDeliveryTag(), true);

    Delivery again = next(deliveries);
    assertEquals("a", body(again));
    assertTrue(again.getEnvelope().isRedeliver());
  }

  @Test
  void rejectWithoutRequeueDropsTheMessage() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b");
    GetResponse a = channel.basicGet(queue, false);

    channel.basicReject(a.getEnvelope().getDeliveryTag(), false);
    channel.basicRecover(true);

    assertEquals("b", body(channel.basicGet(queue, true)));
    assertNull(channel.basicGet(queue, true));
  }

  @Test
  void ackingAnUnknownDeliveryTagClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();

    AMQP.Channel.Close close = channelError(channel, () -> channel.basicAck(42, false));

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - unknown delivery tag 42", BASIC, BASIC_ACK);
  }

  @Test
  void ackingTheSameTagTwiceClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    long tag = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();
    channel.basicAck(tag, false);

    AMQP.Channel.Close close = channelError(channel, () -> channel.basicAck(tag, false));

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - unknown delivery tag " + tag, BASIC, BASIC_ACK);
  }

  @Test
  void rejectingAnUnknownDeliveryTagClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();

    AMQP.Channel.Close close = channelError(channel, () -> channel.basicReject(7, true));

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - unknown delivery tag 7", BASIC, BASIC_REJECT);
  }

  @Test
  void nackingAnUnknownDeliveryTagClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();

    AMQP.Channel.Close close = channelError(channel, () -> channel.basicNack(9, true, true));

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - unknown delivery tag 9", BASIC, BASIC_NACK);
  }

  @Test
  void ackingADeliveryTagOfAnotherChannelClosesTheChannelWith406() throws Exception {
    Connection connection = newConnection();
    Channel first = connection.createChannel();
    String queue = declareQueue(first);
    publish(first, queue, "a");
    long tag = first.basicGet(queue, false).getEnvelope().getDeliveryTag();
    Channel second = connection.createChannel();

    AMQP.Channel.Close close = channelError(second, () -> second.basicAck(tag, false));

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - unknown delivery tag " + tag, BASIC, BASIC_ACK);
    assertTrue(first.isOpen());
  }

  @Test
  void closingTheChannelRequeuesUnackedMessagesInOrderAsRedelivered() throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c", "d");
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    assertEquals(List.of("a", "b", "c", "d"), nextBodies(deliveries, 4));
    Channel other = newConnection().createChannel();
    BlockingQueue<Delivery> otherDeliveries = consume(other, queue, false);

    channel.close();

    assertRedeliveredInOrder(otherDeliveries, "a", "b", "c", "d");
  }

  @Test
  void closingTheConnectionRequeuesUnackedMessagesInOrderAsRedelivered() throws Exception {
    Connection connection = newConnection();
    Channel channel = connection.createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    assertEquals(List.of("a", "b", "c"), nextBodies(deliveries, 3));
    Channel other = newConnection().createChannel();
    BlockingQueue<Delivery> otherDeliveries = consume(other, queue, false);

    connection.close();

    assertRedeliveredInOrder(otherDeliveries, "a", "b", "c");
  }

  @Test
  void requeuedMessagesGoAheadOfMessagesThatWereNeverDelivered() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");
    channel.basicGet(queue, false);
    channel.basicGet(queue, false);

    channel.close();

    Channel other = newConnection().createChannel();
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 3);
    List<String> bodies = new ArrayList<>();
    for (GetResponse r; (r = other.basicGet(queue, true)) != null; ) {
      bodies.add(body(r) + (r.getEnvelope().isRedeliver() ? "*" : ""));
    }
    assertEquals(List.of("a*", "b*", "c"), bodies);
  }

  @Test
  void recoverWithRequeueRedeliversUnackedMessages() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, false);
    publish(channel, queue, "a", "b");
    assertEquals(List.of("a", "b"), nextBodies(deliveries, 2));

    channel.basicRecover(true);

    assertRedeliveredInOrder(deliveries, "a", "b");
  }

  @Test
  void anAutoAckConsumerNeverNeedsToAck() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);
    publish(channel, queue, "a", "b", "c");
    assertEquals(List.of("a", "b", "c"), nextBodies(deliveries, 3));

    channel.basicRecover(true);

    assertNull(channel.basicGet(queue, true));
    assertEquals(0, readyCount(queue));
  }

  @Test
  void ackingAnAutoAckDeliveryClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    BlockingQueue<Delivery> deliveries = consume(channel, queue, true);
    publish(channel, queue, "a");
    long tag = next(deliveries).getEnvelope().getDeliveryTag();

    AMQP.Channel.Close close = channelError(channel, () -> channel.basicAck(tag, false));

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - unknown delivery tag " + tag, BASIC, BASIC_ACK);
  }

  private static void assertRedeliveredInOrder(
      BlockingQueue<Delivery> deliveries, String... expected) throws InterruptedException {
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < expected.length; i++) {
      Delivery d = next(deliveries);
      assertTrue(d.getEnvelope().isRedeliver(), () -> body(d) + " should be redelivered");
      bodies.add(body(d));
    }
    assertEquals(List.of(expected), bodies);
  }
}
