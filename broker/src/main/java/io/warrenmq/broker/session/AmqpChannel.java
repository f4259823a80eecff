package io.warrenmq.broker.session;

import io.netty.buffer.ByteBuf;
import io.warrenmq.broker.channel.Channel;
import io.warrenmq.broker.channel.Consumer;
import io.warrenmq.broker.channel.DeliveryExecutor;
import io.warrenmq.broker.channel.DeliverySink;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.AmqpMethod;
import io.warrenmq.broker.protocol.AmqpMethod.*;
import io.warrenmq.broker.protocol.ChannelMethodHandler;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.transport.Frame;
import io.warrenmq.broker.transport.Frames;
import io.warrenmq.broker.vhost.VirtualHost;

/**
 * One AMQP channel: frames in, core calls out. Content frames are assembled into messages, methods
 * are dispatched to the channel core ({@link Channel}: consumers, credit, unacked deliveries,
 * confirms, transactions) or, for topology, to the virtual host; what the core hands back —
 * deliveries, confirms, returns, cancels — is written as frames here, as its {@link DeliverySink}.
 *
 * <p><b>Threads.</b> Everything here runs on the connection's event loop, which is also the core's
 * delivery and confirm executor; only {@link #writable()} is asked from queue threads.
 *
 * <p><b>Errors.</b> A soft error closes this channel with channel.close (code, text, method) and
 * drops everything the client sends until close-ok; a hard error is passed to the connection.
 */
final class AmqpChannel implements ChannelMethodHandler, DeliverySink {

  private enum State {
    OPEN,
    CLOSING,
    CLOSED
  }

  private final AmqpConnection connection;
  private final int number;
  private final ContentAssembler assembler;
  private final Channel core;

  private volatile State state = State.OPEN;
  private volatile boolean flowActive = true;
  private String lastQueue;

  AmqpChannel(AmqpConnection connection, int number) {
    this.connection = connection;
    this.number = number;
    this.assembler = new ContentAssembler(connection.broker().config().limits().maxMessageSize());
    var loop = connection.context().executor();
    this.core =
        new Channel(
            connection.vhost(),
            connection.broker(),
            connection,
            this,
            DeliveryExecutor.of(loop, loop::inEventLoop),
            loop);
  }

  int number() {
    return number;
  }

  private VirtualHost vhost() {
    return connection.vhost();
  }

  // ------------------------------------------------------------------ frames

  void handleFrame(Frame frame) throws AmqpException {
    if (state != State.OPEN) {
      dropWhileClosing(frame);
      return;
    }
    AmqpMethod method = null;
    try {
      switch (frame.type()) {
        case Frame.METHOD -> {
          ByteBuf p = frame.payload();
          method =
              LineBreaksInNames.strip(
                  AmqpMethod.decode(p.readUnsignedShort(), p.readUnsignedShort(), p));
          if (assembler.inProgress()) {
            throw assembler.unexpectedMethod();
          }
          if (method.hasContent() && method instanceof BasicPublish) {
            assembler.start(method);
            return;
          }
          ChannelMethodHandler.dispatch(method, this);
        }
        case Frame.HEADER -> {
          ContentAssembler.Content c = assembler.header(frame.payload());
          if (c != null) {
            method = c.method();
            publish((BasicPublish) c.method(), c.properties(), c.body());
          }
        }
        case Frame.BODY -> {
          ContentAssembler.Content c = assembler.body(frame.payload(), frame.payload().alloc());
          if (c != null) {
            method = c.method();
            publish((BasicPublish) c.method(), c.properties(), c.body());
          }
        }
        default ->
            throw AmqpException.connection(
                ReplyCode.FRAME_ERROR, "unexpected frame type %d", frame.type());
      }
    } catch (AmqpException e) {
      AmqpException error = e.causedBy(method);
      if (error.closesConnection()) {
        throw error;
      }
      closeWithError(error);
    }
  }

  /** After we sent channel.close, only close and close-ok matter (AMQP 0-9-1 §4.2.3). */
  private void dropWhileClosing(Frame frame) {
    if (frame.type() != Frame.METHOD) {
      return;
    }
    ByteBuf p = frame.payload();
    if (p.readableBytes() < 4) {
      return;
    }
    int classId = p.getUnsignedShort(p.readerIndex());
    int methodId = p.getUnsignedShort(p.readerIndex() + 2);
    if (classId == ChannelCloseOk.CLASS_ID
        && (methodId == ChannelCloseOk.METHOD_ID || methodId == ChannelClose.METHOD_ID)) {
      if (methodId == ChannelClose.METHOD_ID) {
        connection.send(number, new ChannelCloseOk());
      }
      state = State.CLOSED;
      connection.channelClosed(this);
    }
  }

  private void closeWithError(AmqpException e) {
    AmqpConnection.LOG.log(
        System.Logger.Level.INFO,
        "closing channel {0} of {1}: {2}",
        number,
        connection.peer(),
        e.text());
    release();
    state = State.CLOSING;
    connection.send(
        number,
        new ChannelClose(
            e.code().code(), AmqpConnection.shortString(e.text()), e.classId(), e.methodId()));
  }

  /**
   * End of a read batch: one store sync covers every persistent message the batch published, and
   * what needs no sync is confirmed now.
   */
  void readComplete() {
    if (state == State.OPEN) {
      core.publishBatchDone(true);
    }
  }

  // ------------------------------------------------------------------ channel class

  @Override
  public void channelOpen(ChannelOpen m) throws AmqpException {
    throw AmqpException.connection(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen");
  }

  @Override
  public void channelFlow(ChannelFlow m) {
    flowActive = m.active();
    connection.send(number, new ChannelFlowOk(m.active()));
    if (m.active()) {
      core.creditReturned();
    }
  }

  @Override
  public void channelFlowOk(ChannelFlowOk m) {
    // We never send channel.flow, so there is nothing to confirm.
  }

  @Override
  public void channelClose(ChannelClose m) {
    release();
    state = State.CLOSED;
    connection.send(number, new ChannelCloseOk());
    connection.channelClosed(this);
  }

  @Override
  public void channelCloseOk(ChannelCloseOk m) {
    state = State.CLOSED;
    connection.channelClosed(this);
  }

  @Override
  public void accessRequest(AccessRequest m) {
    connection.send(number, new AccessRequestOk(1));
  }

  // ------------------------------------------------------------------ exchanges

  @Override
  public void exchangeDeclare(ExchangeDeclare m) throws AmqpException {
    if (m.passive()) {
      vhost().checkExchangeExists(m.exchange());
    } else {
      vhost()
          .declareExchange(
              m.exchange(), m.type(), m.durable(), m.autoDelete(), m.internal(), m.arguments());
    }
    if (!m.nowait()) {
      connection.send(number, new ExchangeDeclareOk());
    }
  }

  @Override
  public void exchangeDelete(ExchangeDelete m) throws AmqpException {
    vhost().deleteExchange(m.exchange(), m.ifUnused());
    if (!m.nowait()) {
      connection.send(number, new ExchangeDeleteOk());
    }
  }

  @Override
  public void exchangeBind(ExchangeBind m) throws AmqpException {
    vhost().bindExchange(m.destination(), m.source(), m.routingKey(), m.arguments());
    if (!m.nowait()) {
      connection.send(number, new ExchangeBindOk());
    }
  }

  @Override
  public void exchangeUnbind(ExchangeUnbind m) throws AmqpException {
    vhost().unbindExchange(m.destination(), m.source(), m.routingKey(), m.arguments());
    if (!m.nowait()) {
      connection.send(number, new ExchangeUnbindOk());
    }
  }

  // ------------------------------------------------------------------ queues

  @Override
  public void queueDeclare(QueueDeclare m) throws AmqpException {
    VirtualHost.Declared d;
    if (m.passive()) {
      if (m.queue().equals(VirtualHost.REPLY_TO)) {
        connection.send(number, new QueueDeclareOk(VirtualHost.REPLY_TO, 0, 0));
        return;
      }
      // a passive declare renews an x-expires lease, as in RabbitMQ
      d = vhost().declarePassive(queueName(m.queue()), connection);
    } else {
      d = core.declareQueue(m.queue(), m.durable(), m.exclusive(), m.autoDelete(), m.arguments());
    }
    lastQueue = d.name();
    if (!m.nowait()) {
      connection.send(number, new QueueDeclareOk(d.name(), d.messageCount(), d.consumerCount()));
    }
  }

  @Override
  public void queueBind(QueueBind m) throws AmqpException {
    String queue = queueName(m.queue());
    String key = m.queue().isEmpty() && m.routingKey().isEmpty() ? queue : m.routingKey();
    vhost().bindQueue(queue, m.exchange(), key, m.arguments(), connection);
    if (!m.nowait()) {
      connection.send(number, new QueueBindOk());
    }
  }

  @Override
  public void queueUnbind(QueueUnbind m) throws AmqpException {
    vhost()
        .unbindQueue(queueName(m.queue()), m.exchange(), m.routingKey(), m.arguments(), connection);
    connection.send(number, new QueueUnbindOk());
  }

  @Override
  public void queuePurge(QueuePurge m) throws AmqpException {
    int purged = vhost().purge(queueName(m.queue()), connection);
    if (!m.nowait()) {
      connection.send(number, new QueuePurgeOk(purged));
    }
  }

  @Override
  public void queueDelete(QueueDelete m) throws AmqpException {
    int deleted = core.deleteQueue(queueName(m.queue()), m.ifUnused(), m.ifEmpty());
    if (!m.nowait()) {
      connection.send(number, new QueueDeleteOk(deleted));
    }
  }

  /** An empty queue name means the channel's most recently declared queue (AMQP 0-9-1 §1.7.2). */
  private String queueName(String name) throws AmqpException {
    if (!name.isEmpty()) {
      return name;
    }
    if (lastQueue == null) {
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no previously declared queue");
    }
    return lastQueue;
  }

  // ------------------------------------------------------------------ consuming

  @Override
  public void basicQos(BasicQos m) throws AmqpException {
    if (m.prefetchSize() != 0) {
      throw AmqpException.of(
          ReplyCode.NOT_IMPLEMENTED,
          "prefetch_size!=0 (%d)",
          Integer.toUnsignedLong(m.prefetchSize()));
    }
    core.qos(m.prefetchCount(), m.global());
    connection.send(number, new BasicQosOk());
  }

  @Override
  public void basicConsume(BasicConsume m) throws AmqpException {
    String queue = m.queue().equals(VirtualHost.REPLY_TO) ? m.queue() : queueName(m.queue());
    Consumer c =
        core.consume(queue, m.consumerTag(), m.noAck(), m.exclusive(), m.arguments(), null);
    if (!m.nowait()) {
      connection.send(number, new BasicConsumeOk(c.tag()));
    }
  }

  @Override
  public void basicCancel(BasicCancel m) {
    core.cancel(m.consumerTag());
    if (!m.nowait()) {
      connection.send(number, new BasicCancelOk(m.consumerTag()));
    }
  }

  @Override
  public void basicGet(BasicGet m) throws AmqpException {
    boolean got =
        core.get(
            queueName(m.queue()),
            m.noAck(),
            (tag, entry, messageCount) -> {
              Message msg = entry.message();
              Frames.writeContent(
                  connection.socket(),
                  number,
                  new BasicGetOk(
                      tag, entry.redelivered(), msg.exchange(), msg.routingKey(), messageCount),
                  msg.encodedProperties(),
                  msg.body(),
                  connection.frameMax());
            });
    if (!got) {
      connection.send(number, new BasicGetEmpty(""));
    }
  }

  @Override
  public void basicAck(BasicAck m) throws AmqpException {
    core.ack(m.deliveryTag(), m.multiple());
  }

  @Override
  public void basicNack(BasicNack m) throws AmqpException {
    core.nack(m.deliveryTag(), m.multiple(), m.requeue());
  }

  @Override
  public void basicReject(BasicReject m) throws AmqpException {
    core.nack(m.deliveryTag(), false, m.requeue());
  }

  @Override
  public void basicRecoverAsync(BasicRecoverAsync m) throws AmqpException {
    core.recover(m.requeue());
  }

  @Override
  public void basicRecover(BasicRecover m) throws AmqpException {
    core.recover(m.requeue());
    connection.send(number, new BasicRecoverOk());
  }

  /** Socket or flow state changed: consumers may take deliveries again. */
  void creditReturned() {
    if (state == State.OPEN) {
      core.creditReturned();
    }
  }

  // ------------------------------------------------------------------ the core's sink

  @Override
  public boolean writable() {
    return state == State.OPEN && flowActive && connection.socket().isWritable();
  }

  @Override
  public boolean deliversAfterCancel() {
    return false;
  }

  @Override
  public void deliver(Consumer c, long tag, QueueEntry entry) {
    Message msg = entry.message();
    Frames.writeContent(
        connection.socket(),
        number,
        new BasicDeliver(c.tag(), tag, entry.redelivered(), msg.exchange(), msg.routingKey()),
        msg.encodedProperties(),
        msg.body(),
        connection.frameMax());
  }

  @Override
  public void flush() {
    connection.socket().flush();
  }

  @Override
  public void cancelled(Consumer c) {
    if (state == State.OPEN && connection.consumerCancelNotify()) {
      connection.send(number, new BasicCancel(c.tag(), true));
      connection.socket().flush();
    }
  }

  @Override
  public void confirmed(long sequence, boolean multiple, boolean ack) {
    if (state == State.OPEN) {
      connection.send(
          number,
          ack ? new BasicAck(sequence, multiple) : new BasicNack(sequence, multiple, false));
    }
  }

  @Override
  public void returned(Message msg) {
    Frames.writeContent(
        connection.socket(),
        number,
        new BasicReturn(ReplyCode.NO_ROUTE.code(), "NO_ROUTE", msg.exchange(), msg.routingKey()),
        msg.encodedProperties(),
        msg.body(),
        connection.frameMax());
  }

  // ------------------------------------------------------------------ publishing

  private void publish(BasicPublish m, ByteBuf properties, ByteBuf body) throws AmqpException {
    Message msg =
        Message.fromWire(
            m.exchange(), m.routingKey(), properties, body, connection.broker().memory());
    if (m.immediate()) { // not implemented since RabbitMQ 3.0: a connection error
      msg.release();
      throw AmqpException.of(ReplyCode.NOT_IMPLEMENTED, "immediate=true");
    }
    core.publish(msg, m.mandatory());
  }

  // ------------------------------------------------------------------ confirms and transactions

  @Override
  public void confirmSelect(ConfirmSelect m) throws AmqpException {
    core.confirmSelect();
    if (!m.nowait()) {
      connection.send(number, new ConfirmSelectOk());
    }
  }

  @Override
  public void txSelect(TxSelect m) throws AmqpException {
    core.txSelect();
    connection.send(number, new TxSelectOk());
  }

  @Override
  public void txCommit(TxCommit m) throws AmqpException {
    // commit-ok promises the persistent messages are on disk: it waits for the sync.
    core.txCommit(
        failure -> {
          if (connection.context().executor().inEventLoop()) {
            committed(m, failure);
          } else {
            connection.context().executor().execute(() -> committed(m, failure));
          }
        });
  }

  private void committed(TxCommit m, Throwable failure) {
    if (state != State.OPEN) {
      return;
    }
    if (failure != null) {
      connection.closeWithError(
          AmqpException.of(
                  ReplyCode.INTERNAL_ERROR, "could not make the transaction durable: %s", failure)
              .causedBy(m));
    } else {
      connection.send(number, new TxCommitOk());
    }
    connection.socket().flush();
  }

  @Override
  public void txRollback(TxRollback m) throws AmqpException {
    core.txRollback();
    connection.send(number, new TxRollbackOk());
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Lets go of everything: consumers leave their queues, unacknowledged messages go back in order
   * (redelivered), an open transaction is discarded, a partial message dropped.
   */
  void release() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    assembler.reset();
    core.close();
  }
}
