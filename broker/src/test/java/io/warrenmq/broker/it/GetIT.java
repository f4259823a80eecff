package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Test;

/** basic.get, get-ok and get-empty (AMQP 0-9-1 §1.8.3.10–1.8.3.12). */
class GetIT extends MessagingSupport {

  @Test
  void getOkCountsTheMessagesLeftBehindIt() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b", "c");

    GetResponse first = channel.basicGet(queue, true);
    GetResponse second = channel.basicGet(queue, true);
    GetResponse third = channel.basicGet(queue, true);

    assertEquals("a", body(first));
    assertEquals(2, first.getMessageCount());
    assertEquals("b", body(second));
    assertEquals(1, second.getMessageCount());
    assertEquals("c", body(third));
    assertEquals(0, third.getMessageCount());
  }

  @Test
  void getOkCarriesTheExchangeRoutingKeyAndAFreshDeliveryTag() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a", "b");

    GetResponse first = channel.basicGet(queue, false);
    GetResponse second = channel.basicGet(queue, false);

    assertEquals("", first.getEnvelope().getExchange());
    assertEquals(queue, first.getEnvelope().getRoutingKey());
    assertFalse(first.getEnvelope().isRedeliver());
    assertEquals(1, first.getEnvelope().getDeliveryTag());
    assertEquals(2, second.getEnvelope().getDeliveryTag());
  }

  @Test
  void getOnAnEmptyQueueAnswersGetEmpty() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);

    // the Java client turns basic.get-empty into null; ask on the wire to see the method itself
    Object reply = channel.rpc(new AMQP.Basic.Get.Builder().queue(queue).build()).getMethod();

    assertTrue(reply instanceof AMQP.Basic.GetEmpty, String.valueOf(reply));
    assertNull(channel.basicGet(queue, true));
    assertTrue(channel.isOpen());
  }

  @Test
  void getFromAMissingQueueClosesTheChannelWith404() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = uniqueName("missing");

    AMQP.Channel.Close close = channelError(channel, () -> channel.basicGet(queue, true));

    assertChannelClose(
        close, 404, "NOT_FOUND - no queue '" + queue + "' in vhost '/'", BASIC, BASIC_GET);
  }

  @Test
  void aMessageGotWithoutAutoAckStaysUnackedUntilAcked() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");

    GetResponse got = channel.basicGet(queue, false);

    assertEquals("a", body(got));
    assertEquals(0, readyCount(queue), "an unacked message is not ready");
    channel.basicAck(got.getEnvelope().getDeliveryTag(), false);
    channel.basicRecover(true);
    assertNull(channel.basicGet(queue, true), "an acked message is gone for good");
  }

  @Test
  void aMessageNackedWithRequeueComesBackRedelivered() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    GetResponse got = channel.basicGet(queue, false);
    assertFalse(got.getEnvelope().isRedeliver());

    channel.basicNack(got.getEnvelope().getDeliveryTag(), false, true);
    GetResponse again = channel.basicGet(queue, false);

    assertEquals("a", body(again));
    assertTrue(again.getEnvelope().isRedeliver());
    assertEquals(2, again.getEnvelope().getDeliveryTag(), "delivery tags are never reused");
  }

  @Test
  void autoAckGetRemovesTheMessageAtOnce() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");

    channel.basicGet(queue, true);
    channel.basicRecover(true);

    assertNull(channel.basicGet(queue, true));
  }
}
