package io.warrenmq.jms.vm;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.exchange.Routes;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.message.PublishChecks;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.selector.JmsSelector;
import io.warrenmq.broker.vhost.VirtualHost;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One in-VM session: what an AMQP channel is, as direct calls on the virtual host and its queues,
 * with the channel's semantics (the broker's {@code AmqpChannel} is the model).
 *
 * <ul>
 *   <li><b>Publishing</b> routes the message and enqueues it to each queue on the caller's thread;
 *       the body is the caller's array, wrapped. With confirms on, a publish is confirmed once
 *       routed, or — when a durable queue stored it — once the store has synced it.
 *   <li><b>Consuming</b>: a queue hands a delivery over under its lock; it crosses to this
 *       session's serial executor, where it gets its delivery tag and reaches the handler, in
 *       order. Prefetch credit is the consumer's ({@link VmConsumer}); acks give it back.
 *   <li><b>Transactions</b> hold publishes and settlements until commit; commit returns once
 *       persistent messages are synced.
 *   <li><b>Errors</b> close the session, as a channel error closes a channel: later calls fail with
 *       the same reply code and RabbitMQ's text. A connection-level code ends the whole link.
 *   <li><b>Close</b> takes the consumers off their queues and puts every unacknowledged message
 *       back, marked redelivered.
 * </ul>
 *
 * <p>Lock order: this session's monitor, then a queue's lock; queues call in only through {@link
 * VmConsumer}, which takes no session lock.
 */
final class VmLinkSession implements LinkSession {

  private static final long TIMEOUT_SECONDS = 30;
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Unacked(long tag, VmConsumer consumer, Queue queue, QueueEntry entry) {}

  private record TxPublish(Message message, List<Destination> queues) {}

  private record TxSettle(List<Unacked> deliveries, boolean ack, boolean requeue) {}

  private final VmBrokerLink link;
  private final VirtualHost vhost;
  private final SerialExecutor executor;
  private final SerialExecutor confirms;
  private final Map<String, VmConsumer> consumers = new ConcurrentHashMap<>();
  private final Routes routes = new Routes();

  // Guarded by this session's monitor.
  private final TreeMap<Long, Unacked> unacked = new TreeMap<>();
  private long deliveryTag;
  private boolean confirmMode;
  private ConfirmHandler confirmHandler;
  private long publishSequence;
  private boolean txMode;
  private final List<TxPublish> txPublishes = new ArrayList<>();
  private final List<TxSettle> txSettles = new ArrayList<>();
  private LinkException closeCause;

  private volatile boolean open = true;

  VmLinkSession(VmBrokerLink link, SerialExecutor executor, SerialExecutor confirms) {
    this.link = link;
    this.vhost = link.vhost();
    this.executor = executor;
    this.confirms = confirms;
  }

  SerialExecutor executor() {
    return executor;
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
    checkOpen();
    try {
      VirtualHost.Declared d =
          vhost.declareQueue(
              name, durable, exclusive, autoDelete, arguments == null ? Map.of() : arguments, link);
      if (d.created() && exclusive) {
        link.ownExclusiveQueue(d.queue());
      }
      return d.queue().name();
    } catch (AmqpException e) {
      throw failed("cannot declare queue '" + name + "'", e);
    }
  }

  @Override
  public boolean queueExists(String name) throws LinkException {
    checkOpen();
    if (name.equals(VirtualHost.REPLY_TO)) {
      return true;
    }
    try {
      vhost.queue(name, link);
      return true;
    } catch (AmqpException e) {
      // Passive declares leave the session usable (the network link runs them on a scratch
      // channel).
      if (e.code() == ReplyCode.NOT_FOUND) {
        return false;
      }
      throw error("passive declare", e);
    }
  }

  @Override
  public boolean exchangeExists(String name) throws LinkException {
    checkOpen();
    try {
      vhost.checkExchangeExists(name);
      return true;
    } catch (AmqpException e) {
      if (e.code() == ReplyCode.NOT_FOUND) {
        return false;
      }
      throw error("passive declare", e);
    }
  }

  @Override
  public void bindQueue(String queue, String exchange, String routingKey) throws LinkException {
    checkOpen();
    try {
      vhost.bindQueue(queue, exchange, routingKey, Map.of(), link);
    } catch (AmqpException e) {
      throw failed("cannot bind queue '" + queue + "' to exchange '" + exchange + "'", e);
    }
  }

  @Override
  public void unbindQueue(String queue, String exchange, String routingKey) throws LinkException {
    checkOpen();
    try {
      vhost.unbindQueue(queue, exchange, routingKey, Map.of(), link);
    } catch (AmqpException e) {
      throw failed("cannot unbind queue '" + queue + "'", e);
    }
  }

  @Override
  public void deleteQueue(String queue) throws LinkException {
    checkOpen();
    try {
      Queue q = existing(queue);
      vhost.deleteQueue(queue, false, false, link);
      if (q != null && q.exclusive()) {
        link.exclusiveQueueDeleted(q);
      }
    } catch (AmqpException e) {
      throw failed("cannot delete queue '" + queue + "'", e);
    }
  }

  private Queue existing(String name) {
    try {
      return vhost.queue(name);
    } catch (AmqpException notFound) {
      return null;
    }
  }

  // ------------------------------------------------------------------ publishing

  @Override
  public long publish(String exchange, String routingKey, AmqpMessage m) throws LinkException {
    BasicProperties properties;
    try {
      properties = VmMessages.properties(m);
    } catch (IllegalArgumentException e) {
      throw new LinkException("cannot publish to exchange '" + exchange + "': " + e, 0, e);
    }
    byte[] body = m.body() == null ? new byte[0] : m.body();
    awaitNoAlarm();
    synchronized (this) {
      checkOpen();
      Message msg = null;
      try {
        checkProperties(properties);
        msg =
            Message.of(
                exchange,
                routingKey,
                properties,
                Unpooled.wrappedBuffer(body),
                link.broker().memory());
        msg = PublishChecks.accepted(msg);
        routes.clear();
        vhost.route(msg, routes);
        long seqNo = confirmMode ? ++publishSequence : 0;
        if (txMode) {
          msg.retain();
          txPublishes.add(new TxPublish(msg, List.copyOf(routes.destinations())));
          return seqNo;
        }
        boolean taken = enqueue(msg, routes.destinations());
        if (confirmMode) {
          confirmWhenSafe(seqNo, msg.storeId() != 0, taken);
        }
        return seqNo;
      } catch (AmqpException e) {
        throw failed("cannot publish to exchange '" + exchange + "'", e);
      } finally {
        if (msg != null) {
          msg.release();
        }
      }
    }
  }

  /**
   * While the broker has a memory or disk alarm set, a publisher waits, as RabbitMQ blocks a
   * publishing connection; consumers go on, which is what clears a memory alarm. Waits outside the
   * session's lock, so that the session can still be closed.
   */
  private void awaitNoAlarm() throws LinkException {
    try {
      link.broker().awaitNoAlarm(this::isOpen);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LinkException("interrupted while the broker's resource alarm held a publish", 0, e);
    }
  }

  /** RabbitMQ's validated user-id; direct reply-to needs a reply consumer, which in-VM has none. */
  private void checkProperties(BasicProperties p) throws AmqpException {
    if (p.userId() != null && !p.userId().equals(link.user())) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "user_id property set to '%s' but authenticated user was '%s'",
          p.userId(),
          link.user());
    }
    if (VirtualHost.REPLY_TO.equals(p.replyTo())) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "fast reply consumer does not exist");
    }
  }

  /** Enqueues to every routed queue; false when a full queue refused it (reject-publish). */
  private static boolean enqueue(Message msg, List<Destination> queues) {
    boolean taken = true;
    for (int i = 0; i < queues.size(); i++) {
      if (((Queue) queues.get(i)).enqueue(msg, null) == Queue.Enqueued.REJECTED) {
        taken = false;
      }
    }
    return taken;
  }

  /**
   * A transient (or unroutable, or not stored) publish is confirmed at once; a stored one after the
   * store's sync, so that a confirm never precedes the write that makes it true. Confirms run on a
   * serial executor of their own, after the publish has returned its sequence number, and never
   * behind the session's deliveries: a listener that sends a persistent message and waits for its
   * confirm must not wait for itself.
   */
  private void confirmWhenSafe(long seqNo, boolean stored, boolean taken) {
    ConfirmHandler handler = confirmHandler;
    if (!taken) {
      confirms.execute(() -> confirm(handler, seqNo, false));
      return;
    }
    if (!stored) {
      confirms.execute(() -> confirm(handler, seqNo, true));
      return;
    }
    link.broker()
        .whenSynced(failure -> confirms.execute(() -> confirm(handler, seqNo, failure == null)));
  }

  private void confirm(ConfirmHandler handler, long seqNo, boolean ack) {
    if (open) {
      handler.confirmed(seqNo, false, ack);
    }
  }

  @Override
  public synchronized void confirmSelect(ConfirmHandler handler) throws LinkException {
    checkOpen();
    if (txMode) {
      throw failed(
          "confirm.select failed",
          AmqpException.of(ReplyCode.PRECONDITION_FAILED, "cannot switch from tx to confirm mode"));
    }
    confirmHandler = handler;
    confirmMode = true;
  }

  // ------------------------------------------------------------------ consuming

  @Override
  public String consume(
      String queue, int prefetch, boolean exclusive, String selector, DeliveryHandler handler)
      throws LinkException {
    checkOpen();
    Queue q;
    JmsSelector filter;
    try {
      q = vhost.queue(queue, link);
      filter = selector == null ? null : JmsSelector.parse(selector);
    } catch (AmqpException e) {
      throw failed("cannot consume from queue '" + queue + "'", e);
    } catch (IllegalArgumentException e) {
      throw new LinkException(e.getMessage(), ReplyCode.PRECONDITION_FAILED.code(), e);
    }
    String tag = "amq.ctag-" + randomToken();
    VmConsumer consumer = new VmConsumer(this, tag, q, prefetch, filter, handler);
    consumers.put(tag, consumer);
    try {
      q.addConsumer(consumer, exclusive);
    } catch (Queue.ExclusiveConsumerException e) {
      consumers.remove(tag);
      throw failed(
          "cannot consume from queue '" + queue + "'",
          AmqpException.of(
              ReplyCode.ACCESS_REFUSED, "%s in exclusive use", vhost.resource("queue", queue)));
    }
    return tag;
  }

  /**
   * On the executor: gives a delivery its tag and the handler, or back to its queue once the
   * session is closed. A consumer cancelled since still gets it: the queue dispatched it before the
   * cancel, and {@link #cancel} promises the handler every such delivery (the JMS layer then
   * returns what it holds, in tag order, within its transaction).
   */
  void handOver(VmConsumer consumer, QueueEntry entry) {
    long tag;
    synchronized (this) {
      if (!open) {
        tag = 0;
      } else {
        tag = ++deliveryTag;
        unacked.put(tag, new Unacked(tag, consumer, consumer.queue(), entry));
      }
    }
    if (tag == 0) {
      consumer.settled();
      consumer.queue().requeue(List.of(entry));
      return;
    }
    consumer.handler().handle(VmMessages.delivery(tag, entry));
  }

  /** The consumer's queue was deleted; the handler hears it after the deliveries before it. */
  void consumerCancelledByQueue(VmConsumer consumer) {
    executor.execute(
        () -> {
          if (consumers.remove(consumer.tag(), consumer) && open) {
            consumer.handler().cancelled();
          }
        });
  }

  @Override
  public void cancel(String consumerTag) throws LinkException {
    checkOpen();
    VmConsumer c = consumers.remove(consumerTag);
    if (c != null) {
      c.cancel();
      c.queue().removeConsumer(c);
    }
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
    checkOpen();
    Queue q;
    try {
      q = vhost.queue(queue, link);
    } catch (AmqpException e) {
      throw failed("cannot get from queue '" + queue + "'", e);
    }
    QueueEntry entry = q.get(false);
    if (entry == null) {
      return null;
    }
    long tag;
    synchronized (this) {
      if (open) {
        tag = ++deliveryTag;
        unacked.put(tag, new Unacked(tag, null, q, entry));
      } else {
        tag = 0;
      }
    }
    if (tag == 0) {
      q.requeue(List.of(entry));
      checkOpen();
    }
    return VmMessages.delivery(tag, entry);
  }

  // ------------------------------------------------------------------ settling

  @Override
  public void ack(long deliveryTag, boolean multiple) throws LinkException {
    settleTags("cannot acknowledge", deliveryTag, multiple, true, false);
  }

  @Override
  public void nack(long deliveryTag, boolean multiple, boolean requeue) throws LinkException {
    settleTags("cannot reject", deliveryTag, multiple, false, requeue);
  }

  private void settleTags(String what, long tag, boolean multiple, boolean ack, boolean requeue)
      throws LinkException {
    List<Unacked> done;
    synchronized (this) {
      checkOpen();
      try {
        done = take(tag, multiple);
      } catch (AmqpException e) {
        throw failed(what, e);
      }
      if (txMode) {
        txSettles.add(new TxSettle(done, ack, requeue));
        return;
      }
    }
    settle(done, ack, requeue);
  }

  /** The deliveries an ack or nack names; 406 for a tag that is not outstanding (RabbitMQ). */
  private List<Unacked> take(long tag, boolean multiple) throws AmqpException {
    if (multiple && tag == 0) {
      List<Unacked> all = new ArrayList<>(unacked.values());
      unacked.clear();
      return all;
    }
    if (!unacked.containsKey(tag)) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "unknown delivery tag %d", tag);
    }
    if (!multiple) {
      return List.of(unacked.remove(tag));
    }
    Map<Long, Unacked> head = unacked.headMap(tag, true);
    List<Unacked> taken = new ArrayList<>(head.values());
    head.clear();
    return taken;
  }

  /**
   * Acknowledges, drops or requeues deliveries (requeued ones go back per queue in their original
   * order), returns their credit and wakes starved consumers. Not under the session's monitor.
   */
  private void settle(List<Unacked> deliveries, boolean ack, boolean requeue) {
    if (deliveries.isEmpty()) {
      return;
    }
    Map<Queue, List<QueueEntry>> back = new LinkedHashMap<>();
    for (Unacked u : deliveries) {
      if (u.consumer() != null) {
        u.consumer().settled();
      }
      if (requeue && !ack) {
        back.computeIfAbsent(u.queue(), q -> new ArrayList<>()).add(u.entry());
      } else if (ack) {
        u.queue().settle(u.entry(), true);
      } else {
        u.queue().reject(u.entry(), true);
      }
    }
    back.forEach(Queue::requeue);
    for (VmConsumer c : consumers.values()) {
      c.wakeIfStarved();
    }
  }

  // ------------------------------------------------------------------ transactions

  @Override
  public synchronized void txSelect() throws LinkException {
    checkOpen();
    if (confirmMode) {
      throw failed(
          "tx.select failed",
          AmqpException.of(ReplyCode.PRECONDITION_FAILED, "cannot switch from confirm to tx mode"));
    }
    txMode = true;
  }

  @Override
  public void txCommit() throws LinkException {
    List<TxPublish> publishes;
    List<TxSettle> settles;
    synchronized (this) {
      checkOpen();
      if (!txMode) {
        throw failed(
            "tx.commit failed",
            AmqpException.of(ReplyCode.PRECONDITION_FAILED, "channel is not transactional"));
      }
      publishes = new ArrayList<>(txPublishes);
      settles = new ArrayList<>(txSettles);
      txPublishes.clear();
      txSettles.clear();
    }
    boolean stored = false;
    for (TxPublish p : publishes) {
      try {
        enqueue(p.message(), p.queues());
        stored |= p.message().storeId() != 0;
      } finally {
        p.message().release();
      }
    }
    for (TxSettle s : settles) {
      settle(s.deliveries(), s.ack(), s.requeue());
    }
    if (stored) {
      awaitSync();
    }
  }

  /** commit-ok promises the persistent messages are on disk: waits for the store's sync. */
  private void awaitSync() throws LinkException {
    CompletableFuture<Throwable> synced = new CompletableFuture<>();
    link.broker().whenSynced(synced::complete);
    Throwable failure;
    try {
      failure = synced.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LinkException("interrupted while committing", 0, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new LinkException("tx.commit failed: no sync from the store", 0, e);
    }
    if (failure != null) {
      throw failed(
          "tx.commit failed",
          AmqpException.of(
              ReplyCode.INTERNAL_ERROR, "could not make the transaction durable: %s", failure));
    }
  }

  @Override
  public synchronized void txRollback() throws LinkException {
    checkOpen();
    if (!txMode) {
      throw failed(
          "tx.rollback failed",
          AmqpException.of(ReplyCode.PRECONDITION_FAILED, "channel is not transactional"));
    }
    discardTransaction();
  }

  /** Under the monitor: drops held publishes and puts held settlements back as unacked. */
  private void discardTransaction() {
    for (TxPublish p : txPublishes) {
      p.message().release();
    }
    txPublishes.clear();
    for (TxSettle s : txSettles) {
      for (Unacked u : s.deliveries()) {
        unacked.put(u.tag(), u);
      }
    }
    txSettles.clear();
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public boolean isOpen() {
    return open && link.isOpen();
  }

  @Override
  public void close() {
    closeWith(null);
  }

  /**
   * Lets go of everything: consumers leave their queues, unacknowledged messages go back in order
   * (redelivered), an open transaction is discarded.
   */
  private void closeWith(LinkException cause) {
    List<Unacked> held;
    synchronized (this) {
      if (!open) {
        return;
      }
      open = false;
      closeCause = cause;
      discardTransaction();
      held = new ArrayList<>(unacked.values());
      unacked.clear();
    }
    for (VmConsumer c : consumers.values()) {
      c.cancel();
      c.queue().removeConsumer(c);
    }
    consumers.clear();
    Map<Queue, List<QueueEntry>> back = new LinkedHashMap<>();
    for (Unacked u : held) {
      if (u.consumer() != null) {
        u.consumer().settled();
      }
      back.computeIfAbsent(u.queue(), q -> new ArrayList<>()).add(u.entry());
    }
    back.forEach(Queue::requeue);
    link.sessionClosed(this);
  }

  private void checkOpen() throws LinkException {
    if (open && link.isOpen()) {
      return;
    }
    LinkException cause;
    synchronized (this) {
      cause = closeCause;
    }
    if (cause != null) {
      throw new LinkException(cause.getMessage(), cause.replyCode(), cause);
    }
    throw new LinkException("the session is closed", 0, null);
  }

  /** A broker error: the session closes as a channel would (or the link, for a hard error). */
  private LinkException failed(String what, AmqpException e) {
    LinkException failure = error(what, e);
    if (e.closesConnection()) {
      link.fail(failure);
    } else {
      closeWith(failure);
    }
    return failure;
  }

  private static LinkException error(String what, AmqpException e) {
    return new LinkException(what + ": " + e.text(), e.code().code(), e);
  }

  private static String randomToken() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
