package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The tx class: tx.select, tx.commit and tx.rollback (AMQP 0-9-1 §1.9). */
class TransactionIT extends MessagingSupport {

  @Test
  void publishesAreInvisibleUntilCommit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.txSelect();

    publish(channel, queue, "a", "b");
    channel.queueDeclarePassive(queue); // a round trip, so the publishes have reached the broker

    assertEquals(0, readyCount(queue));
    channel.txCommit();
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 2);
  }

  @Test
  void aChannelStaysTransactionalAfterCommit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.txSelect();
    channel.txCommit();

    publish(channel, queue, "a");
    channel.queueDeclarePassive(queue);

    assertEquals(0, readyCount(queue));
    channel.txCommit();
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1);
  }

  @Test
  void rollbackDiscardsPublishes() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.txSelect();
    publish(channel, queue, "discarded");

    channel.txRollback();
    publish(channel, queue, "kept");
    channel.txCommit();

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1);
    assertEquals("kept", body(channel.basicGet(queue, true)));
  }

  @Test
  void closingAChannelWithAnOpenTransactionDiscardsItsPublishes() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.txSelect();
    publish(channel, queue, "discarded");

    channel.close();

    Channel other = newConnection().createChannel();
    assertEquals(0, other.queueDeclarePassive(queue).getMessageCount());
  }

  @Test
  void acksInATransactionTakeEffectOnlyAtCommit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    channel.txSelect();
    long tag = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();

    channel.basicAck(tag, false);
    channel.close(); // without commit: the ack never happened

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1);
    GetResponse again = newConnection().createChannel().basicGet(queue, true);
    assertEquals("a", body(again));
    assertTrue(again.getEnvelope().isRedeliver());
  }

  @Test
  void committedAcksAreFinal() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    channel.txSelect();
    long tag = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();

    channel.basicAck(tag, false);
    channel.txCommit();
    channel.basicRecover(true);

    assertNull(channel.basicGet(queue, true));
  }

  @Test
  void rolledBackAcksLeaveTheMessagesUnacked() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    channel.txSelect();
    long tag = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();
    channel.basicAck(tag, false);

    channel.txRollback();

    // neither acked nor requeued: the message waits, unacked, for the channel to let it go
    assertEquals(0, readyCount(queue));
    channel.close();
    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1);
    GetResponse again = newConnection().createChannel().basicGet(queue, true);
    assertEquals("a", body(again));
    assertTrue(again.getEnvelope().isRedeliver());
  }

  @Test
  void aRolledBackAckMayBeSentAgainAndCommitted() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    channel.txSelect();
    long tag = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();
    channel.basicAck(tag, false);
    channel.txRollback();

    channel.basicAck(tag, false);
    channel.txCommit();
    channel.basicRecover(true);

    assertNull(channel.basicGet(queue, true));
    assertTrue(channel.isOpen());
  }

  @Test
  void rejectsInATransactionTakeEffectOnlyAtCommit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    publish(channel, queue, "a");
    channel.txSelect();
    long tag = channel.basicGet(queue, false).getEnvelope().getDeliveryTag();

    channel.basicReject(tag, true);
    assertEquals(0, readyCount(queue), "the requeue waits for the commit");
    channel.txCommit();

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1);
  }

  @Test
  void commitWithoutSelectClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();

    AMQP.Channel.Close close = channelError(channel, channel::txCommit);

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - channel is not transactional", TX, TX_COMMIT);
  }

  @Test
  void rollbackWithoutSelectClosesTheChannelWith406() throws Exception {
    Channel channel = newConnection().createChannel();

    AMQP.Channel.Close close = channelError(channel, channel::txRollback);

    assertChannelClose(
        close, 406, "PRECONDITION_FAILED - channel is not transactional", TX, TX_ROLLBACK);
  }

  @Test
  void txSelectIsIdempotent() throws Exception {
    Channel channel = newConnection().createChannel();

    channel.txSelect();
    channel.txSelect();
    channel.txCommit();

    assertTrue(channel.isOpen());
  }

  @Test
  void aMandatoryPublishWhoseQueueIsDeletedBeforeCommitIsReturnedAtCommit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    java.util.concurrent.BlockingQueue<String> returned =
        new java.util.concurrent.LinkedBlockingQueue<>();
    channel.addReturnListener(r -> returned.add(r.getReplyText() + " " + r.getRoutingKey()));
    channel.txSelect();

    channel.basicPublish("", queue, true, null, "late".getBytes(UTF_8));
    Channel other = newConnection().createChannel();
    other.queueDelete(queue);
    channel.txCommit();

    assertEquals(
        "NO_ROUTE " + queue,
        returned.poll(TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS),
        "routing happens at commit, when the queue is gone");
  }

  @Test
  void aTransactionalPublishIsRoutedWhenPublishedAndDeliveredAtCommit() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel);
    channel.exchangeDeclare("tx.routing", "direct", false, true, null);
    channel.queueBind(queue, "tx.routing", "k");
    channel.txSelect();

    channel.basicPublish("tx.routing", "k", null, "routed now".getBytes(UTF_8));
    channel.queueUnbind(queue, "tx.routing", "k"); // a round trip: the publish was routed
    channel.txCommit();

    await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> readyCount(queue) == 1);
  }
}
