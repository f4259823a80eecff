package io.warrenmq.jms.vm;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.channel.Channel;
import io.warrenmq.broker.channel.Consumer;
import io.warrenmq.broker.channel.DeliverySink;
import io.warrenmq.broker.channel.SerialExecutor;
import io.warrenmq.broker.direct.DirectConnection;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.selector.JmsSelector;
import io.warrenmq.broker.vhost.VirtualHost;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import io.warrenmq.jms.link.WireProperties;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One in-VM session: a thin adapter over the broker's channel core ({@link Channel}), which an AMQP
 * channel also runs on — so consumers, prefetch, acknowledgements, confirms and transactions mean
 * exactly what they mean over AMQP. Calls go straight to the core or the virtual host; what the
 * core hands back (deliveries, confirms, cancels) arrives here as its {@link DeliverySink}.
 *
 * <ul>
 *   <li><b>Publishing</b> wraps the caller's array (no copy) and publishes on the caller's thread.
 *   <li><b>Deliveries</b> run on this session's serial executor, in order; confirms on a second
 *       one, so that a listener that sends a persistent message and waits for its confirm never
 *       waits for itself.
 *   <li><b>Errors</b> close the session, as a channel error closes a channel: later calls fail with
 *       the same reply code and RabbitMQ's text. A connection-level code ends the whole link.
 * </ul>
 */
final class VmLinkSession implements LinkSession, DeliverySink {

  private static final long TIMEOUT_SECONDS = 30;

  /** A call into the broker, which answers errors as a channel would. */
  private interface Call<T> {
    T run() throws AmqpException;
  }

  private final VmBrokerLink link;
  private final DirectConnection connection;
  private final VirtualHost vhost;
  private final SerialExecutor executor;
  private Channel core;
  private volatile ConfirmHandler confirmHandler;
  private volatile LinkException closeCause;
  private volatile boolean open = true;

  private VmLinkSession(VmBrokerLink link, DirectConnection connection, SerialExecutor executor) {
    this.link = link;
    this.connection = connection;
    this.vhost = connection.vhost();
    this.executor = executor;
  }

  /** A session on a channel of {@code connection}'s; null when the connection is closed. */
  static VmLinkSession open(VmBrokerLink link, DirectConnection connection, Executor pool) {
    VmLinkSession session = new VmLinkSession(link, connection, new SerialExecutor(pool));
    session.core = connection.openChannel(session, session.executor, new SerialExecutor(pool));
    return session.core == null ? null : session;
  }

  /**
   * Runs {@code call} on an open session; a broker error closes the session as a channel error
   * closes a channel (or the whole link, for a connection-level code) and is thrown as what failed.
   */
  private <T> T call(String what, Call<T> call) throws LinkException {
    checkOpen();
    try {
      return call.run();
    } catch (AmqpException e) {
      LinkException failure = new LinkException(what + ": " + e.text(), e.code().code(), e);
      if (e.closesConnection()) {
        link.fail(failure);
      } else {
        closeWith(failure);
      }
      throw failure;
    }
  }

  // ------------------------------------------------------------------ topology

  @Override
  public String declareQueue(
      String name,
      boolean durable,
      boolean exclusive,
      boolean autoDelete,
      Map<String, Object> arguments)
      throws LinkException {
    Map<String, Object> args = arguments == null ? Map.of() : arguments;
    return call(
            "cannot declare queue '" + name + "'",
            () -> core.declareQueue(name, durable, exclusive, autoDelete, args))
        .name();
  }

  @Override
  public boolean queueExists(String name) throws LinkException {
    return name.equals(VirtualHost.REPLY_TO)
        || exists(() -> vhost.declarePassive(name, connection));
  }

  @Override
  public boolean exchangeExists(String name) throws LinkException {
    return exists(
        () -> {
          vhost.checkExchangeExists(name);
          return null;
        });
  }

  /**
   * A passive declare: leaves the session usable either way (the network link runs them on a
   * scratch channel).
   */
  private boolean exists(Call<?> passive) throws LinkException {
    checkOpen();
    try {
      passive.run();
      return true;
    } catch (AmqpException e) {
      if (e.code() == ReplyCode.NOT_FOUND) {
        return false;
      }
      throw new LinkException("passive declare: " + e.text(), e.code().code(), e);
    }
  }

  @Override
  public void bindQueue(String queue, String exchange, String routingKey) throws LinkException {
    call(
        "cannot bind queue '" + queue + "' to exchange '" + exchange + "'",
        () -> {
          vhost.bindQueue(queue, exchange, routingKey, Map.of(), connection);
          return null;
        });
  }

  @Override
  public void unbindQueue(String queue, String exchange, String routingKey) throws LinkException {
    call(
        "cannot unbind queue '" + queue + "'",
        () -> {
          vhost.unbindQueue(queue, exchange, routingKey, Map.of(), connection);
          return null;
        });
  }

  @Override
  public void deleteQueue(String queue) throws LinkException {
    call("cannot delete queue '" + queue + "'", () -> core.deleteQueue(queue, false, false));
  }

  // ------------------------------------------------------------------ publishing

  @Override
  public long publish(String exchange, String routingKey, AmqpMessage m) throws LinkException {
    BasicProperties properties;
    try {
      properties = WireProperties.of(m);
    } catch (IllegalArgumentException e) {
      throw new LinkException("cannot publish to exchange '" + exchange + "': " + e, 0, e);
    }
    byte[] body = m.body() == null ? new byte[0] : m.body();
    awaitNoAlarm();
    return call(
        "cannot publish to exchange '" + exchange + "'",
        () -> {
          long seqNo =
              core.publish(
                  Message.of(
                      exchange,
                      routingKey,
                      properties,
                      Unpooled.wrappedBuffer(body),
                      connection.broker().memory()),
                  false);
          core.publishBatchDone(false);
          return seqNo;
        });
  }

  /**
   * While the broker has a memory or disk alarm set, a publisher waits, as RabbitMQ blocks a
   * publishing connection; consumers go on, which is what clears a memory alarm. Waits with no lock
   * held, so that the session can still be closed.
   */
  private void awaitNoAlarm() throws LinkException {
    try {
      connection.broker().awaitNoAlarm(this::isOpen);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LinkException("interrupted while the broker's resource alarm held a publish", 0, e);
    }
  }

  @Override
  public void confirmSelect(ConfirmHandler handler) throws LinkException {
    confirmHandler = handler;
    call(
        "confirm.select failed",
        () -> {
          core.confirmSelect();
          return null;
        });
  }

  // ------------------------------------------------------------------ consuming

  @Override
  public String consume(
      String queue, int prefetch, boolean exclusive, String selector, DeliveryHandler handler)
      throws LinkException {
    Map<String, Object> arguments =
        selector == null ? Map.of() : Map.of(JmsSelector.ARGUMENT, selector);
    String tag =
        call(
            "cannot consume from queue '" + queue + "'",
            () -> {
              core.qos(prefetch, false);
              return core.consume(queue, "", false, exclusive, arguments, handler).tag();
            });
    checkOpen(); // closed meanwhile by another thread: the core took the consumer off again
    return tag;
  }

  @Override
  public void cancel(String consumerTag) throws LinkException {
    checkOpen();
    core.cancel(consumerTag);
    if (executor.inExecutor()) {
      return; // called by a handler: every earlier delivery has been handed over already
    }
    // Deliveries already on their way are handed over (or given back) before this returns.
    CountDownLatch done = new CountDownLatch(1);
    executor.execute(done::countDown);
    try {
      if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new LinkException(
            "deliveries to consumer " + consumerTag + " did not drain", 0, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LinkException("interrupted while cancelling a consumer", 0, e);
    }
  }

  @Override
  public LinkDelivery get(String queue) throws LinkException {
    LinkDelivery[] got = new LinkDelivery[1];
    boolean any =
        call(
            "cannot get from queue '" + queue + "'",
            () ->
                core.get(
                    queue, false, (tag, entry, n) -> got[0] = VmMessages.delivery(tag, entry)));
    if (!any) {
      checkOpen();
    }
    return got[0];
  }

  // ------------------------------------------------------------------ the core's sink

  @Override
  public boolean writable() {
    return true; // bounded by prefetch: the JMS session takes what its consumers were promised
  }

  /**
   * A consumer cancelled since still gets what its queue dispatched before the cancel: {@link
   * #cancel} promises the handler every such delivery (the JMS layer then returns what it holds, in
   * tag order, within its transaction).
   */
  @Override
  public boolean deliversAfterCancel() {
    return true;
  }

  @Override
  public void deliver(Consumer consumer, long deliveryTag, QueueEntry entry) {
    ((DeliveryHandler) consumer.attachment()).handle(VmMessages.delivery(deliveryTag, entry));
  }

  @Override
  public void cancelled(Consumer consumer) {
    ((DeliveryHandler) consumer.attachment()).cancelled();
  }

  @Override
  public void confirmed(long sequence, boolean multiple, boolean ack) {
    ConfirmHandler handler = confirmHandler;
    if (isOpen() && handler != null) {
      handler.confirmed(sequence, multiple, ack);
    }
  }

  @Override
  public void returned(Message message) {
    // In-VM publishes are never mandatory.
  }

  // ------------------------------------------------------------------ settling and transactions

  @Override
  public void ack(long deliveryTag, boolean multiple) throws LinkException {
    call(
        "cannot acknowledge",
        () -> {
          core.ack(deliveryTag, multiple);
          return null;
        });
  }

  @Override
  public void nack(long deliveryTag, boolean multiple, boolean requeue) throws LinkException {
    call(
        "cannot reject",
        () -> {
          core.nack(deliveryTag, multiple, requeue);
          return null;
        });
  }

  @Override
  public void txSelect() throws LinkException {
    call(
        "tx.select failed",
        () -> {
          core.txSelect();
          return null;
        });
  }

  /** commit-ok promises the persistent messages are on disk: waits for the store's sync. */
  @Override
  public void txCommit() throws LinkException {
    CompletableFuture<Throwable> durable = new CompletableFuture<>();
    if (!call("tx.commit failed", () -> core.txCommit(durable::complete))) {
      // Closed by another thread just before: the close discarded the transaction.
      checkOpen();
      throw new LinkException("tx.commit failed: the session is closed", 0, null);
    }
    Throwable failure;
    try {
      failure = durable.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LinkException("interrupted while committing", 0, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new LinkException("tx.commit failed: no sync from the store", 0, e);
    }
    if (failure != null) {
      call(
          "tx.commit failed",
          () -> {
            throw AmqpException.of(
                ReplyCode.INTERNAL_ERROR, "could not make the transaction durable: %s", failure);
          });
    }
  }

  @Override
  public void txRollback() throws LinkException {
    call(
        "tx.rollback failed",
        () -> {
          core.txRollback();
          return null;
        });
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public boolean isOpen() {
    return open && link.isOpen();
  }

  /**
   * Lets go of everything: consumers leave their queues, unacknowledged messages go back in order
   * (redelivered), an open transaction is discarded.
   */
  @Override
  public void close() {
    closeWith(null);
  }

  private void closeWith(LinkException cause) {
    synchronized (this) {
      if (!open) {
        return;
      }
      closeCause = cause;
      open = false;
    }
    connection.closeChannel(core);
  }

  private void checkOpen() throws LinkException {
    if (open && link.isOpen()) {
      return;
    }
    LinkException cause = closeCause;
    if (cause != null) {
      throw new LinkException(cause.getMessage(), cause.replyCode(), cause);
    }
    throw new LinkException("the session is closed", 0, null);
  }
}
