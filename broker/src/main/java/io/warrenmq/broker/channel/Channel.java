package io.warrenmq.broker.channel;

import io.netty.util.internal.PlatformDependent;
import io.warrenmq.broker.channel.Confirms.Confirm;
import io.warrenmq.broker.channel.Transaction.Publish;
import io.warrenmq.broker.channel.Transaction.Settle;
import io.warrenmq.broker.channel.Unacked.Delivery;
import io.warrenmq.broker.exchange.Routes;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.message.PublishChecks;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.selector.JmsSelector;
import io.warrenmq.broker.store.SyncListener;
import io.warrenmq.broker.vhost.ConsumerArguments;
import io.warrenmq.broker.vhost.Publisher;
import io.warrenmq.broker.vhost.VirtualHost;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One channel's semantics, whatever carries them: consumers and prefetch credit, unacknowledged
 * deliveries, publisher confirms, transactions and direct reply-to (RabbitMQ's {@code
 * rabbit_channel}, which also serves its in-VM clients). Errors are thrown as {@link
 * AmqpException}s with RabbitMQ's codes and texts; the adapter closes what they say to close, then
 * calls {@link #close()}.
 *
 * <p><b>Threads.</b> Client calls — publish, consume, settle, transactions — may come from any
 * thread, one or several (the AMQP adapter calls from its event loop only; in-VM, application
 * threads and listeners). Channel state is guarded by this object's monitor, uncontended on the
 * AMQP path. A queue never takes it: queues reach the channel only through {@link Consumer#reserve}
 * (atomic credit) and {@link Consumer#deliver} (the outbox, a multi-producer queue), so the lock
 * order is always channel, then queue. The outbox is drained on the <em>delivery executor</em>,
 * which assigns delivery tags and hands deliveries to the {@link DeliverySink} in order; confirms
 * are sent from the <em>confirm executor</em> (in-VM a different one: a listener that publishes and
 * waits for its confirm must not wait for itself). A cancelled consumer leaves its queue from the
 * delivery executor too, once what was on its way to it has been handed over or given back.
 *
 * <p><b>Costs.</b> A publish routes and enqueues under the monitor (so confirm sequence numbers
 * follow enqueue order); a delivery takes two atomic credit operations on the queue's thread, one
 * outbox hop, and the monitor once on the delivery executor.
 */
public final class Channel {

  /** basic.get's answer, written by the adapter before a no-ack message is settled. */
  public interface GetHandler {
    void got(long deliveryTag, QueueEntry entry, int messageCount);
  }

  private final VirtualHost vhost;
  private final Services services;
  private final Owner owner;
  private final DeliverySink sink;
  private final DeliveryExecutor deliveries;
  private final Executor confirmExecutor;
  private final Map<String, Consumer> consumers = new ConcurrentHashMap<>();
  private final Outbox outbox;
  private final Credit credit = new Credit();
  private final java.util.Queue<Long> settledEarly = PlatformDependent.newMpscQueue();
  private final AtomicBoolean confirmsScheduled = new AtomicBoolean();
  private final PublishHooks hooks = new PublishHooks();
  private volatile boolean open = true;
  private volatile boolean confirming;

  // Guarded by this object's monitor.
  private final Unacked unacked = new Unacked();
  private final Routes routes = new Routes();
  private int consumerPrefetch;
  private long deliveryTag;
  private final DirectReplyTo replyTo;
  private Confirms confirms;
  private Transaction tx;
  private long publishing;

  // Read and written on the delivery executor only.
  private boolean draining;

  /**
   * @param owner the connection: its identity owns exclusive queues
   * @param deliveries runs deliveries in order (AMQP: the event loop)
   * @param confirms runs confirms in order (AMQP: the event loop)
   */
  public Channel(
      VirtualHost vhost,
      Services services,
      Owner owner,
      DeliverySink sink,
      DeliveryExecutor deliveries,
      Executor confirms) {
    this.vhost = vhost;
    this.services = services;
    this.owner = owner;
    this.sink = sink;
    this.deliveries = deliveries;
    this.confirmExecutor = confirms;
    this.outbox = new Outbox(deliveries, this::drain);
    this.replyTo = new DirectReplyTo(vhost, services.queueBacklogBytes());
  }

  /** Declares a queue; one declared exclusive belongs to the channel's connection from now on. */
  public VirtualHost.Declared declareQueue(
      String name,
      boolean durable,
      boolean exclusive,
      boolean autoDelete,
      Map<String, Object> arguments)
      throws AmqpException {
    VirtualHost.Declared d =
        vhost.declareQueue(name, durable, exclusive, autoDelete, arguments, owner);
    if (d.created() && exclusive) {
      owner.exclusiveQueues().declared(d.queue());
    }
    return d;
  }

  /** Deletes a queue (RabbitMQ's queue.delete); its connection no longer owns it. */
  public int deleteQueue(String name, boolean ifUnused, boolean ifEmpty) throws AmqpException {
    Queue q;
    try {
      q = vhost.queue(name);
    } catch (AmqpException missing) {
      q = null; // deleting a missing queue is no error
    }
    int deleted = vhost.deleteQueue(name, ifUnused, ifEmpty, owner);
    if (q != null && q.exclusive()) {
      owner.exclusiveQueues().deleted(q);
    }
    return deleted;
  }

  public boolean isOpen() {
    return open;
  }

  public VirtualHost vhost() {
    return vhost;
  }

  // ------------------------------------------------------------------ publishing

  /**
   * basic.publish: checks the properties, then routes and enqueues — or, in a transaction, holds
   * the message until commit. Takes over the caller's reference to {@code message}.
   *
   * @return the publish's confirm sequence number, 0 when confirms are off
   */
  public long publish(Message message, boolean mandatory) throws AmqpException {
    Message msg = message;
    try {
      // RabbitMQ's order: the exchange, the properties' encoding, reply-to and user-id, the rest.
      vhost.checkPublishable(msg.exchange());
      PublishChecks.decodable(msg);
      msg = checkProperties(msg);
      msg = PublishChecks.accepted(msg);
      owner.published();
      synchronized (this) {
        if (!open) {
          return 0;
        }
        if (tx != null) {
          routes.clear();
          vhost.route(msg, routes);
          msg.retain();
          tx.publish(msg, routes.destinations(), mandatory);
          return 0;
        }
        long seq = confirms == null ? 0 : confirms.next();
        publishing = seq;
        VirtualHost.Published p = vhost.publish(msg, routes, hooks);
        if (p.queues() == 0 && mandatory) {
          sink.returned(msg);
        }
        if (confirms != null) {
          if (p.rejected()) {
            confirms.rejected(seq);
          }
          if (p.queues() > 0 && msg.storeId() != 0) {
            confirms.awaitSync(seq);
          }
          if (p.forwarded() != null) {
            confirms.awaitForward(seq);
            p.forwarded()
                .whenComplete(
                    (outcome, failure) ->
                        confirmExecutor.execute(
                            () ->
                                forwarded(
                                    seq,
                                    failure == null
                                        ? outcome
                                        : io.warrenmq.broker.vhost.RemoteDelivery.Outcome.FAILED)));
          }
        }
        return seq;
      }
    } finally {
      msg.release();
    }
  }

  /** What the channel learns while the virtual host publishes; runs under the monitor. */
  private final class PublishHooks implements Publisher {
    @Override
    public void routed(Message message, int queues) {
      if (confirms != null && message.persistent()) {
        message.watchSettlement(new EarlyConfirm(publishing, queues));
      }
    }

    @Override
    public void backlogged(Queue queue) {
      owner.backlogged(queue);
    }

    @Override
    public void backlogDrained(Queue queue) {
      owner.backlogDrained(queue);
    }
  }

  /**
   * Refuses a user_id that is not the publisher's own (RabbitMQ's validated user-id) and rewrites a
   * direct reply-to address. Properties are decoded only when their flags say these are present.
   */
  private Message checkProperties(Message msg) throws AmqpException {
    if (!msg.mayHave(BasicProperties.REPLY_TO_FLAG | BasicProperties.USER_ID_FLAG)) {
      return msg;
    }
    BasicProperties p = msg.properties();
    if (VirtualHost.REPLY_TO.equals(p.replyTo())) {
      synchronized (this) {
        msg = replyTo.address(msg, p);
      }
    }
    if (p.userId() != null && !p.userId().equals(owner.user())) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "user_id property set to '%s' but authenticated user was '%s'",
          p.userId(),
          owner.user());
    }
    return msg;
  }

  // ------------------------------------------------------------------ confirms

  /** confirm.select. */
  public synchronized void confirmSelect() throws AmqpException {
    if (tx != null) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "cannot switch from tx to confirm mode");
    }
    if (confirms == null) {
      confirms = new Confirms();
      confirming = true;
    }
  }

  /**
   * The end of a batch of publishes (a read from the socket, or one in-VM publish): asks the store
   * for one sync covering every persistent message the batch published, and sends what can be
   * confirmed now — here when {@code onConfirmExecutor}, else from the confirm executor.
   */
  public void publishBatchDone(boolean onConfirmExecutor) {
    if (!confirming) {
      return; // every read batch of a channel without confirms passes here
    }
    long upTo;
    synchronized (this) {
      if (confirms == null) {
        return;
      }
      upTo = confirms.syncToRequest();
    }
    if (upTo > 0) {
      services.whenSynced(failure -> confirmExecutor.execute(() -> synced(upTo, failure)));
    }
    if (onConfirmExecutor) {
      sendConfirms();
    } else {
      scheduleConfirms();
    }
  }

  private void scheduleConfirms() {
    if (confirmsScheduled.compareAndSet(false, true)) {
      confirmExecutor.execute(this::sendConfirms);
    }
  }

  /** On the confirm executor: sends every confirm that is due, then flushes. */
  private void sendConfirms() {
    confirmsScheduled.set(false);
    List<Confirm> out = Confirms.newList();
    synchronized (this) {
      if (!open || confirms == null) {
        settledEarly.clear();
        return;
      }
      for (Long seq = settledEarly.poll(); seq != null; seq = settledEarly.poll()) {
        confirms.settledEarly(seq, out);
      }
      confirms.confirmable(out);
    }
    emit(out);
  }

  /** On the confirm executor: the queues of other nodes a publish went to have it, or not. */
  private void forwarded(long sequence, io.warrenmq.broker.vhost.RemoteDelivery.Outcome outcome) {
    List<Confirm> out = Confirms.newList();
    synchronized (this) {
      if (!open || confirms == null) {
        return;
      }
      confirms.forwarded(
          sequence, outcome == io.warrenmq.broker.vhost.RemoteDelivery.Outcome.TAKEN, out);
    }
    emit(out);
  }

  /** On the confirm executor: the store synced everything up to {@code upTo}, or failed to. */
  private void synced(long upTo, Throwable failure) {
    List<Confirm> out = Confirms.newList();
    synchronized (this) {
      if (!open) {
        return;
      }
      confirms.synced(upTo, failure != null, out);
    }
    emit(out);
  }

  private void emit(List<Confirm> out) {
    if (out.isEmpty() || !open) {
      return;
    }
    for (Confirm c : out) {
      sink.confirmed(c.sequence(), c.multiple(), c.ack());
    }
    sink.flush();
  }

  /**
   * A persistent message every queue has settled (a consumer acknowledged it) needs the disk no
   * more: as RabbitMQ does, it is confirmed at once rather than after the next sync. With consumers
   * that keep up, most confirms then wait for no fsync at all.
   */
  private final class EarlyConfirm extends AtomicInteger implements Message.Settlement {
    private static final long serialVersionUID = 1L;
    private final long sequence;

    EarlyConfirm(long sequence, int queues) {
      super(queues);
      this.sequence = sequence;
    }

    @Override
    public void settledByQueue() {
      if (decrementAndGet() == 0) {
        settledEarly.add(sequence);
        scheduleConfirms();
      }
    }
  }

  // ------------------------------------------------------------------ transactions

  /** tx.select. */
  public synchronized void txSelect() throws AmqpException {
    if (confirms != null) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "cannot switch from confirm to tx mode");
    }
    if (tx == null) {
      tx = new Transaction();
    }
  }

  /**
   * tx.commit: enqueues the held publishes on the queues they were routed to (a mandatory one whose
   * queues are all gone is returned), then applies the held acknowledgements. {@code durable} hears
   * once the persistent messages are on disk — at once when there are none — since commit-ok
   * promises that.
   *
   * @return false, committing nothing and telling {@code durable} nothing, when the channel closed
   *     first (in-VM, from another thread): close() discarded the transaction
   */
  public boolean txCommit(SyncListener durable) throws AmqpException {
    List<Settle> settles;
    boolean persisted = false;
    CompletableFuture<io.warrenmq.broker.vhost.RemoteDelivery.Outcome> replicated = null;
    synchronized (this) {
      if (!open) {
        return false;
      }
      checkTransactional();
      settles = tx.takeSettles();
      for (Publish p : tx.takePublishes()) {
        Message msg = p.message();
        try {
          publishing = 0;
          VirtualHost.Published result = vhost.deliver(msg, p.queues(), hooks);
          if (result.queues() == 0 && p.mandatory()) {
            sink.returned(msg);
          }
          persisted |= msg.storeId() != 0;
          if (result.forwarded() != null) {
            // queues of other nodes, or a quorum queue: commit-ok once they hold it
            replicated =
                replicated == null
                    ? result.forwarded()
                    : replicated.thenCombine(
                        result.forwarded(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
          }
        } finally {
          msg.release();
        }
      }
    }
    for (Settle s : settles) {
      settle(s.deliveries(), s.ack(), s.requeue());
    }
    SyncListener whenSynced = durable;
    if (replicated != null) {
      CompletableFuture<io.warrenmq.broker.vhost.RemoteDelivery.Outcome> all = replicated;
      whenSynced =
          failure ->
              all.whenComplete(
                  (outcome, error) ->
                      durable.synced(
                          failure != null
                              ? failure
                              : error != null
                                  ? error
                                  : outcome == io.warrenmq.broker.vhost.RemoteDelivery.Outcome.TAKEN
                                      ? null
                                      : new java.io.IOException(
                                          "a quorum queue's nodes did not take the message")));
    }
    if (persisted) {
      services.whenSynced(whenSynced);
    } else {
      whenSynced.synced(null);
    }
    return true;
  }

  /** tx.rollback: drops the held publishes; held acknowledgements are unacked again. */
  public synchronized void txRollback() throws AmqpException {
    checkTransactional();
    unacked.restore(tx.discard());
  }

  private void checkTransactional() throws AmqpException {
    if (tx == null) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
    }
  }

  // ------------------------------------------------------------------ consuming

  /** basic.qos: per-consumer prefetch for later consumers, or the channel's shared one. */
  public void qos(int prefetchCount, boolean global) {
    if (global) {
      credit.limit(prefetchCount);
    } else {
      synchronized (this) {
        consumerPrefetch = prefetchCount;
      }
    }
    creditReturned();
  }

  /**
   * basic.consume. Arguments: {@code x-priority}, and {@code x-filter-jms-selector} (a JMS selector
   * the queue filters by). The consume-ok may be sent when this returns: deliveries reach the sink
   * only later, from the delivery executor.
   *
   * @param tag the consumer tag, or empty for a generated one
   * @param attachment the adapter's own object for this consumer ({@link Consumer#attachment()})
   */
  public Consumer consume(
      String queueName,
      String tag,
      boolean noAck,
      boolean exclusive,
      Map<String, Object> arguments,
      Object attachment)
      throws AmqpException {
    String consumerTag = tag.isEmpty() ? "amq.ctag-" + DirectReplyTo.token() : tag;
    JmsSelector selector = Consumer.selector(arguments);
    Consumer consumer;
    synchronized (this) {
      if (consumers.containsKey(consumerTag)) {
        throw AmqpException.connection(
            ReplyCode.NOT_ALLOWED, "attempt to reuse consumer tag '%s'", consumerTag);
      }
      Queue q =
          queueName.equals(VirtualHost.REPLY_TO)
              ? replyTo.open(noAck)
              : vhost.consumable(queueName, owner, consumerPrefetch, exclusive, arguments);
      int priority = ConsumerArguments.priority(arguments, vhost.resource("queue", q.name()));
      consumer =
          new Consumer(
              this, consumerTag, q, noAck, consumerPrefetch, priority, selector, attachment);
      consumers.put(consumerTag, consumer);
    }
    try {
      consumer.queue().addConsumer(consumer, exclusive);
    } catch (Queue.ExclusiveConsumerException e) {
      consumers.remove(consumerTag);
      throw AmqpException.of(
          ReplyCode.ACCESS_REFUSED,
          "%s in exclusive use",
          vhost.resource("queue", consumer.queue().name()));
    }
    if (!open) {
      // Closed meanwhile (in-VM, from another thread), perhaps before close() could see this
      // consumer: it leaves again rather than stay on its queue, taking nothing and, on an
      // exclusive or single-active-consumer queue, keeping every other consumer out.
      consumers.remove(consumerTag, consumer);
      consumer.cancel();
      leave(List.of(consumer));
    }
    return consumer;
  }

  /** basic.cancel; false when no consumer has that tag. */
  public boolean cancel(String consumerTag) {
    Consumer c = consumers.remove(consumerTag);
    if (c == null) {
      return false;
    }
    c.cancel();
    leave(List.of(c));
    synchronized (this) {
      if (replyTo.isQueue(c.queue())) {
        replyTo.close();
      }
    }
    return true;
  }

  /**
   * Cancelled consumers leave their queues once what is on its way to them has been handed over or
   * given back, so that a single active consumer's successor finds the queue in order — as in
   * RabbitMQ, whose queue takes back what it sent a channel before it moves on. On the delivery
   * executor, which drains the outbox: at once when called there (AMQP), else as a task of its own.
   */
  private void leave(List<Consumer> leaving) {
    if (leaving.isEmpty()) {
      return;
    }
    if (deliveries.inExecutor() && !draining) {
      leaveNow(leaving);
    } else {
      // Another thread, or a delivery handler (in-VM) mid-drain: after the drain, not inside it.
      deliveries.execute(() -> leaveNow(leaving));
    }
  }

  private void leaveNow(List<Consumer> leaving) {
    for (Consumer c : leaving) {
      c.queue().awaitDispatch(); // a queue thread still handing it a message is done after this
    }
    drain();
    for (Consumer c : leaving) {
      c.queue().removeConsumer(c);
    }
  }

  /** The consumer's queue was deleted: the sink hears it after the deliveries before it. */
  void consumerCancelledByQueue(Consumer c) {
    deliveries.execute(
        () -> {
          if (consumers.remove(c.tag(), c) && open) {
            sink.cancelled(c);
          }
        });
  }

  /**
   * basic.get: hands the queue's next message to {@code handler}, with its delivery tag. A no-ack
   * message is settled once the handler returns.
   *
   * @return false when the queue is empty (or the channel closed meanwhile)
   */
  public boolean get(String queueName, boolean noAck, GetHandler handler) throws AmqpException {
    VirtualHost.Got got = vhost.get(queueName, owner, noAck);
    if (got == null) {
      return false;
    }
    Queue q = got.queue();
    QueueEntry entry = got.entry();
    long tag = 0;
    synchronized (this) {
      if (open) {
        tag = ++deliveryTag;
        if (!noAck) {
          unacked.add(new Delivery(tag, null, q, entry));
        }
      }
    }
    if (tag == 0) {
      q.requeue(List.of(entry), !noAck);
      return false;
    }
    handler.got(tag, entry, got.messageCount());
    if (noAck) {
      q.settle(entry, false);
    }
    return true;
  }

  // ------------------------------------------------------------------ settling

  /** basic.ack. */
  public void ack(long tag, boolean multiple) throws AmqpException {
    settleTags(tag, multiple, true, false);
  }

  /** basic.nack (basic.reject is a nack of one). */
  public void nack(long tag, boolean multiple, boolean requeue) throws AmqpException {
    settleTags(tag, multiple, false, requeue);
  }

  /** basic.recover: every unacknowledged delivery goes back to its queue. */
  public void recover(boolean requeue) throws AmqpException {
    if (!requeue) {
      throw AmqpException.connection(ReplyCode.NOT_IMPLEMENTED, "requeue=false");
    }
    List<Delivery> all;
    synchronized (this) {
      all = unacked.takeAll();
    }
    settle(all, false, true);
  }

  private void settleTags(long tag, boolean multiple, boolean ack, boolean requeue)
      throws AmqpException {
    List<Delivery> done;
    synchronized (this) {
      done = unacked.take(tag, multiple);
      if (tx != null) {
        tx.settle(done, ack, requeue);
        return;
      }
    }
    settle(done, ack, requeue);
  }

  /**
   * Acknowledges, drops or requeues deliveries, returns their credit and wakes consumers that were
   * waiting for it. Requeued messages go back per queue in their original order. Not under the
   * monitor.
   */
  private void settle(List<Delivery> done, boolean ack, boolean requeue) {
    if (done.isEmpty()) {
      return;
    }
    Map<Queue, List<QueueEntry>> back = requeue && !ack ? new LinkedHashMap<>() : null;
    for (Delivery d : done) {
      returnCredit(d);
      if (back != null) {
        back.computeIfAbsent(d.queue(), q -> new ArrayList<>()).add(d.entry());
      } else if (ack) {
        d.queue().settle(d.entry(), true);
      } else {
        d.queue().reject(d.entry(), true);
      }
    }
    if (back != null) {
      back.forEach(Queue::requeue);
    }
    creditReturned();
  }

  private void returnCredit(Delivery d) {
    if (d.consumer() != null) {
      d.consumer().settled();
      credit.giveBack(d.consumer());
    }
  }

  /** Credit came back (acks, qos, writability, flow): let starved consumers' queues dispatch. */
  public void creditReturned() {
    if (!open) {
      return;
    }
    for (Consumer c : consumers.values()) {
      c.wakeIfStarved();
    }
  }

  // ------------------------------------------------------------------ delivery (any thread)

  /** Whether {@link #reserve} would give credit now (a hint for filtering consumers). */
  boolean mayReserve(Consumer consumer) {
    return canWrite() && credit.available(consumer);
  }

  private boolean canWrite() {
    return open && outbox.hasRoom() && sink.writable();
  }

  /** Takes channel-wide credit for one delivery to {@code consumer}; queue threads call this. */
  boolean reserve(Consumer consumer) {
    if (!canWrite() || !credit.take(consumer)) {
      return false;
    }
    outbox.reserve();
    return true;
  }

  /** Queues a delivery for the delivery executor; queue threads call this. */
  void enqueueDelivery(Consumer consumer, QueueEntry entry) {
    outbox.offer(consumer, entry);
  }

  /** On the delivery executor: tags and hands over (or gives back) what the outbox holds. */
  private void drain() {
    draining = true;
    try {
      drainOutbox();
    } finally {
      draining = false;
    }
  }

  private void drainOutbox() {
    outbox.draining();
    boolean wrote = false;
    Outbox.Pending p;
    while ((p = outbox.poll()) != null) {
      Consumer c = p.consumer();
      QueueEntry entry = p.entry();
      long tag = 0;
      synchronized (this) {
        if (open && (!c.cancelled() || sink.deliversAfterCancel())) {
          tag = ++deliveryTag;
          if (!c.noAck()) {
            unacked.add(new Delivery(tag, c, c.queue(), entry));
          }
        }
      }
      if (tag == 0) {
        giveBack(c, entry);
        continue;
      }
      sink.deliver(c, tag, entry);
      wrote = true;
      if (c.noAck()) {
        c.queue().settle(entry, false);
      }
    }
    if (wrote) {
      sink.flush();
    }
    creditReturned();
  }

  /** A delivery that could not be handed over goes back to its queue. */
  private void giveBack(Consumer c, QueueEntry entry) {
    c.settled();
    credit.giveBack(c);
    c.queue().requeue(List.of(entry));
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Lets go of everything: consumers leave their queues, unacknowledged messages go back in order
   * (redelivered), an open transaction is discarded. Deliveries still on their way go back too,
   * before the consumers leave (on the delivery executor: see {@link #leave}).
   */
  public void close() {
    List<Delivery> held;
    synchronized (this) {
      if (!open) {
        return;
      }
      open = false;
      if (tx != null) {
        unacked.restore(tx.discard());
      }
      held = unacked.takeAll();
    }
    for (Consumer c : consumers.values()) {
      c.cancel();
    }
    // Unacknowledged messages go back before the consumers leave their queues: a single active
    // consumer's successor then gets them first, in their places, as in RabbitMQ.
    Map<Queue, List<QueueEntry>> back = new LinkedHashMap<>();
    for (Delivery d : held) {
      returnCredit(d);
      back.computeIfAbsent(d.queue(), q -> new ArrayList<>()).add(d.entry());
    }
    back.forEach(Queue::requeue);
    List<Consumer> leaving = new ArrayList<>(consumers.values());
    consumers.clear();
    leave(leaving);
    synchronized (this) {
      replyTo.close();
    }
    if (!outbox.isEmpty()) {
      outbox.schedule();
    }
  }
}
