package io.warrenmq.jms.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import io.warrenmq.jms.link.WireProperties;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A {@link LinkSession} that is one channel of the Java client. */
final class AmqpLinkSession implements LinkSession {

  private final Connection connection;
  private final Channel channel;
  private final Map<String, LinkConsumer> consumers = new ConcurrentHashMap<>();

  AmqpLinkSession(Connection connection, Channel channel) {
    this.connection = connection;
    this.channel = channel;
  }

  @Override
  public String declareQueue(
      String name,
      boolean durable,
      boolean exclusive,
      boolean autoDelete,
      Map<String, Object> arguments)
      throws LinkException {
    try {
      return channel.queueDeclare(name, durable, exclusive, autoDelete, arguments).getQueue();
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot declare queue '" + name + "'", e);
    }
  }

  @Override
  public boolean queueExists(String name) throws LinkException {
    // A failed passive declare closes its channel (404), so it runs on a channel of its own.
    return passively(c -> c.queueDeclarePassive(name));
  }

  @Override
  public boolean exchangeExists(String name) throws LinkException {
    return passively(c -> c.exchangeDeclarePassive(name));
  }

  private interface ChannelCall {
    void call(Channel c) throws IOException;
  }

  private boolean passively(ChannelCall call) throws LinkException {
    if (!channel.isOpen()) {
      // The check runs elsewhere, but a closed session fails every call, with its own cause.
      throw AmqpErrors.toLinkException("passive declare", channel.getCloseReason());
    }
    Channel scratch;
    try {
      scratch = connection.createChannel();
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot open a channel", e);
    }
    try {
      call.call(scratch);
      return true;
    } catch (IOException e) {
      LinkException failure = AmqpErrors.toLinkException("passive declare", e);
      if (failure.replyCode() == AMQP.NOT_FOUND) {
        return false;
      }
      throw failure;
    } finally {
      try {
        if (scratch.isOpen()) {
          scratch.close();
        }
      } catch (Exception ignored) {
        // the channel is gone either way
      }
    }
  }

  @Override
  public void bindQueue(String queue, String exchange, String routingKey) throws LinkException {
    try {
      channel.queueBind(queue, exchange, routingKey);
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException(
          "cannot bind queue '" + queue + "' to exchange '" + exchange + "'", e);
    }
  }

  @Override
  public void unbindQueue(String queue, String exchange, String routingKey) throws LinkException {
    try {
      channel.queueUnbind(queue, exchange, routingKey);
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot unbind queue '" + queue + "'", e);
    }
  }

  @Override
  public void deleteQueue(String queue) throws LinkException {
    try {
      channel.queueDelete(queue);
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot delete queue '" + queue + "'", e);
    }
  }

  @Override
  public long publish(String exchange, String routingKey, AmqpMessage m) throws LinkException {
    try {
      // Checked first: the client refuses such a message only after taking its confirm number,
      // and every later confirm would then be off by one.
      WireProperties.of(m);
    } catch (IllegalArgumentException e) {
      throw new LinkException("cannot publish to exchange '" + exchange + "': " + e, 0, e);
    }
    AMQP.BasicProperties props =
        new AMQP.BasicProperties.Builder()
            .contentType(m.contentType())
            .contentEncoding(m.contentEncoding())
            .headers(m.headers())
            .deliveryMode(m.deliveryMode())
            .priority(m.priority())
            .correlationId(m.correlationId())
            .replyTo(m.replyTo())
            .expiration(m.expiration())
            .messageId(m.messageId())
            .timestamp(m.timestamp())
            .type(m.type())
            .userId(m.userId())
            .appId(m.appId())
            .build();
    try {
      synchronized (channel) {
        long seqNo = channel.getNextPublishSeqNo();
        channel.basicPublish(exchange, routingKey, props, m.body());
        return seqNo;
      }
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot publish to exchange '" + exchange + "'", e);
    }
  }

  @Override
  public String consume(
      String queue, int prefetch, boolean exclusive, String selector, DeliveryHandler handler)
      throws LinkException {
    try {
      channel.basicQos(prefetch, false);
      LinkConsumer consumer = new LinkConsumer(handler);
      String tag =
          channel.basicConsume(
              queue,
              false,
              "",
              false,
              exclusive,
              selector == null ? null : Map.of("x-filter-jms-selector", selector),
              consumer);
      consumers.put(tag, consumer);
      return tag;
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot consume from queue '" + queue + "'", e);
    }
  }

  /**
   * A consumer of the Java client's, which hears its end — cancel-ok, or the broker's own cancel
   * when its queue is deleted — on the channel's dispatch thread, after every earlier delivery.
   */
  private final class LinkConsumer implements com.rabbitmq.client.Consumer {
    private final DeliveryHandler handler;
    private final CountDownLatch ended = new CountDownLatch(1);

    LinkConsumer(DeliveryHandler handler) {
      this.handler = handler;
    }

    @Override
    public void handleDelivery(
        String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      handler.handle(delivery(envelope, properties, body));
    }

    @Override
    public void handleCancel(String consumerTag) {
      handler.cancelled();
      ended.countDown();
      consumers.remove(consumerTag, this);
    }

    @Override
    public void handleCancelOk(String consumerTag) {
      ended.countDown();
    }

    @Override
    public void handleConsumeOk(String consumerTag) {}

    @Override
    public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {}

    @Override
    public void handleRecoverOk(String consumerTag) {}
  }

  /**
   * basic.cancel, then waits for the consumer's end on the dispatch thread, so that every delivery
   * before it has reached the handler. A tag the session does not know is no error (RabbitMQ
   * answers cancel-ok), nor is a consumer the broker cancelled first: the Java client then refuses
   * the tag, and the consumer's handleCancel is the end waited for.
   */
  @Override
  public void cancel(String consumerTag) throws LinkException {
    LinkConsumer consumer = consumers.get(consumerTag);
    if (consumer == null) {
      if (!channel.isOpen()) {
        throw AmqpErrors.toLinkException("cannot cancel consumer", channel.getCloseReason());
      }
      return;
    }
    try {
      channel.basicCancel(consumerTag);
    } catch (IOException e) {
      if (!channel.isOpen()) {
        throw AmqpErrors.toLinkException("cannot cancel consumer", e);
      }
      // The broker cancelled the consumer before this cancel went out.
    } catch (RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot cancel consumer", e);
    }
    try {
      if (!consumer.ended.await(30, TimeUnit.SECONDS)) {
        throw new LinkException("no cancel-ok for consumer " + consumerTag, 0, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LinkException("interrupted while cancelling a consumer", 0, e);
    } finally {
      consumers.remove(consumerTag);
    }
  }

  @Override
  public LinkDelivery get(String queue) throws LinkException {
    try {
      GetResponse response = channel.basicGet(queue, false);
      return response == null
          ? null
          : delivery(response.getEnvelope(), response.getProps(), response.getBody());
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot get from queue '" + queue + "'", e);
    }
  }

  @Override
  public void ack(long deliveryTag, boolean multiple) throws LinkException {
    try {
      channel.basicAck(deliveryTag, multiple);
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot acknowledge", e);
    }
  }

  @Override
  public void nack(long deliveryTag, boolean multiple, boolean requeue) throws LinkException {
    try {
      channel.basicNack(deliveryTag, multiple, requeue);
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("cannot reject", e);
    }
  }

  @Override
  public void txSelect() throws LinkException {
    try {
      channel.txSelect();
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("tx.select failed", e);
    }
  }

  @Override
  public void txCommit() throws LinkException {
    try {
      channel.txCommit();
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("tx.commit failed", e);
    }
  }

  @Override
  public void txRollback() throws LinkException {
    try {
      channel.txRollback();
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("tx.rollback failed", e);
    }
  }

  @Override
  public void confirmSelect(ConfirmHandler handler) throws LinkException {
    try {
      channel.addConfirmListener(
          (seqNo, multiple) -> handler.confirmed(seqNo, multiple, true),
          (seqNo, multiple) -> handler.confirmed(seqNo, multiple, false));
      channel.confirmSelect();
    } catch (IOException | RuntimeException e) {
      throw AmqpErrors.toLinkException("confirm.select failed", e);
    }
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() {
    try {
      if (channel.isOpen()) {
        channel.close();
      }
    } catch (Exception ignored) {
      // already closed by the broker or with the connection
    }
  }

  private static LinkDelivery delivery(Envelope env, AMQP.BasicProperties p, byte[] body) {
    return new LinkDelivery(
        env.getDeliveryTag(),
        env.isRedeliver(),
        env.getExchange(),
        env.getRoutingKey(),
        new AmqpMessage(
            p.getContentType(),
            p.getContentEncoding(),
            WireProperties.plainHeaders(p.getHeaders()),
            p.getDeliveryMode(),
            p.getPriority(),
            p.getCorrelationId(),
            p.getReplyTo(),
            p.getExpiration(),
            p.getMessageId(),
            p.getTimestamp(),
            p.getType(),
            p.getUserId(),
            p.getAppId(),
            body));
  }
}
