package io.warrenmq.broker.session;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.exchange.Routes;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.AmqpMethod;
import io.warrenmq.broker.protocol.AmqpMethod.*;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.ChannelMethodHandler;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.selector.JmsSelector;
import io.warrenmq.broker.session.UnackedDeliveries.Unacked;
import io.warrenmq.broker.transport.Frame;
import io.warrenmq.broker.transport.Frames;
import io.warrenmq.broker.vhost.VirtualHost;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One AMQP channel: translates each method into calls on the virtual host and its queues, and keeps
 * the channel's own state — consumers, unacknowledged deliveries, prefetch, confirms and
 * transactions.
 *
 * <p><b>Threads.</b> Everything here runs on the connection's event loop except {@link #reserve}
 * and {@link #enqueueDelivery}, which queues call from whichever thread dispatches. Deliveries
 * cross over through the outbox, a multi-producer queue drained by one task on the event loop that
 * assigns delivery tags, records unacked messages and writes frames, then flushes once.
 *
 * <p><b>Errors.</b> A soft error closes this channel with channel.close (code, text, method) and
 * drops everything the client sends until close-ok; a hard error is passed to the connection.
 */
final class AmqpChannel implements ChannelMethodHandler {

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Deliveries handed over but not yet written; beyond this a channel takes no more credit. */
  private static final int OUTBOX_LIMIT = 1024;

  /** Property flag bits (AMQP 0-9-1 §4.2.6.1) checked before decoding properties. */
  private static final int REPLY_TO_FLAG = BasicProperties.REPLY_TO_FLAG;

  private static final int USER_ID_FLAG = BasicProperties.USER_ID_FLAG;

  private enum State {
    OPEN,
    CLOSING,
    CLOSED
  }

  private record PendingDelivery(ChannelConsumer consumer, QueueEntry entry) {}

  private record TxPublish(Message message, List<Destination> queues, boolean mandatory) {}

  private record TxSettle(List<Unacked> deliveries, boolean ack, boolean requeue) {}

  private final AmqpConnection connection;
  private final int number;
  private final ContentAssembler assembler;
  private final Map<String, ChannelConsumer> consumers = new LinkedHashMap<>();
  private final UnackedDeliveries unacked = new UnackedDeliveries();
  private final java.util.Queue<PendingDelivery> outbox = PlatformDependent.newMpscQueue();
  private final AtomicInteger outboxSize = new AtomicInteger();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final AtomicInteger channelUnacked = new AtomicInteger();
  private final Routes routes = new Routes();

  private volatile State state = State.OPEN;
  private volatile boolean flowActive = true;
  private volatile int channelPrefetch;
  private int consumerPrefetch;
  private long deliveryTag;
  private String lastQueue;
  private Queue replyQueue;

  private boolean confirmMode;
  private long publishSequence;
  private long ackedUpTo;

  /** Persistent publishes waiting for the disk (or for every queue to settle them), in order. */
  private final java.util.LinkedHashSet<Long> unsynced = new java.util.LinkedHashSet<>();

  /** Publishes a full queue refused (x-overflow reject-publish): nacked in their turn. */
  private final java.util.TreeSet<Long> rejectedPublishes = new java.util.TreeSet<>();

  /** Publishes every queue settled before the disk synced them; filled by consumers' threads. */
  private final java.util.Queue<Long> settledEarly = PlatformDependent.newMpscQueue();

  private final AtomicBoolean settledEarlyScheduled = new AtomicBoolean();
  private long lastPersisted;
  private long syncRequestedUpTo;

  private boolean txMode;
  private final List<TxPublish> txPublishes = new ArrayList<>();
  private final List<TxSettle> txSettles = new ArrayList<>();

  AmqpChannel(AmqpConnection connection, int number) {
    this.connection = connection;
    this.number = number;
    this.assembler = new ContentAssembler(connection.broker().config().limits().maxMessageSize());
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
   * End of a read batch: asks the store for one sync covering every persistent message the batch
   * published, and confirms what needs no sync.
   */
  void readComplete() {
    if (!confirmMode) {
      return;
    }
    if (lastPersisted > syncRequestedUpTo) {
      long upTo = lastPersisted;
      syncRequestedUpTo = upTo;
      connection
          .broker()
          .whenSynced(
              failure -> connection.context().executor().execute(() -> synced(upTo, failure)));
    }
    sendConfirms();
  }

  /**
   * Acks every publish below the oldest one still waiting for its sync: transient messages are
   * confirmed once routed, persistent ones once on disk, and an ack never runs ahead of either.
   */
  private void sendConfirms() {
    while (state == State.OPEN) {
      long firstUnsynced = unsynced.isEmpty() ? Long.MAX_VALUE : unsynced.iterator().next();
      long firstRejected = rejectedPublishes.isEmpty() ? Long.MAX_VALUE : rejectedPublishes.first();
      long upTo = Math.min(Math.min(firstUnsynced, firstRejected) - 1, publishSequence);
      if (upTo > ackedUpTo) {
        connection.send(number, new BasicAck(upTo, upTo - ackedUpTo > 1));
        ackedUpTo = upTo;
      }
      // A refused publish is nacked once everything before it is confirmed (and, if another
      // queue stored it, once that write is synced).
      if (firstRejected < firstUnsynced && firstRejected == ackedUpTo + 1) {
        rejectedPublishes.pollFirst();
        connection.send(number, new BasicNack(firstRejected, false, false));
        ackedUpTo = firstRejected;
        continue;
      }
      return;
    }
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
        if (settledEarlyScheduled.compareAndSet(false, true)) {
          connection.context().executor().execute(AmqpChannel.this::confirmSettled);
        }
      }
    }
  }

  /** On this channel's loop: confirms the publishes settled before their sync. */
  private void confirmSettled() {
    settledEarlyScheduled.set(false);
    List<Long> confirmed = null;
    for (Long seq = settledEarly.poll(); seq != null; seq = settledEarly.poll()) {
      if (state == State.OPEN && unsynced.remove(seq) && !rejectedPublishes.contains(seq)) {
        if (confirmed == null) {
          confirmed = new ArrayList<>();
        }
        confirmed.add(seq);
      }
    }
    if (confirmed == null) {
      return;
    }
    sendConfirms(); // the contiguous prefix, with one multiple ack
    for (long seq : confirmed) {
      if (seq > ackedUpTo) {
        connection.send(number, new BasicAck(seq, false));
      }
    }
    connection.socket().flush();
  }

  /** The store synced everything up to publish {@code upTo}, or failed to: nack what it lost. */
  private void synced(long upTo, Throwable failure) {
    if (state != State.OPEN) {
      return;
    }
    for (java.util.Iterator<Long> it = unsynced.iterator(); it.hasNext(); ) {
      long seq = it.next();
      if (seq > upTo) {
        break;
      }
      it.remove();
      if (failure != null) {
        if (seq - 1 > ackedUpTo) {
          connection.send(number, new BasicAck(seq - 1, seq - 1 - ackedUpTo > 1));
        }
        connection.send(number, new BasicNack(seq, false, false));
        ackedUpTo = seq;
      }
    }
    sendConfirms();
    connection.socket().flush();
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
      creditReturned();
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
    Queue q;
    if (m.passive()) {
      if (m.queue().equals(VirtualHost.REPLY_TO)) {
        connection.send(number, new QueueDeclareOk(VirtualHost.REPLY_TO, 0, 0));
        return;
      }
      q = vhost().queue(queueName(m.queue()), connection);
      q.used(); // a passive declare renews an x-expires lease, as in RabbitMQ
    } else {
      VirtualHost.Declared d =
          vhost()
              .declareQueue(
                  m.queue(), m.durable(), m.exclusive(), m.autoDelete(), m.arguments(), connection);
      q = d.queue();
      if (d.created() && m.exclusive()) {
        connection.ownExclusiveQueue(q);
      }
    }
    lastQueue = q.name();
    if (!m.nowait()) {
      connection.send(number, new QueueDeclareOk(q.name(), q.messageCount(), q.consumerCount()));
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
    int purged = vhost().queue(queueName(m.queue()), connection).purge();
    if (!m.nowait()) {
      connection.send(number, new QueuePurgeOk(purged));
    }
  }

  @Override
  public void queueDelete(QueueDelete m) throws AmqpException {
    int deleted = vhost().deleteQueue(queueName(m.queue()), m.ifUnused(), m.ifEmpty(), connection);
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
    if (m.global()) {
      channelPrefetch = m.prefetchCount();
    } else {
      consumerPrefetch = m.prefetchCount();
    }
    connection.send(number, new BasicQosOk());
    creditReturned();
  }

  @Override
  public void basicConsume(BasicConsume m) throws AmqpException {
    String tag = m.consumerTag().isEmpty() ? generateTag() : m.consumerTag();
    if (consumers.containsKey(tag)) {
      throw AmqpException.connection(
          ReplyCode.NOT_ALLOWED, "attempt to reuse consumer tag '%s'", tag);
    }
    Queue q;
    if (m.queue().equals(VirtualHost.REPLY_TO)) {
      q = replyQueue(m);
    } else {
      q = vhost().queue(queueName(m.queue()), connection);
    }
    int priority = 0;
    Object p = m.arguments().get("x-priority");
    if (p instanceof Number n) {
      priority = n.intValue();
    }
    ChannelConsumer consumer =
        new ChannelConsumer(
            this, tag, q, m.noAck(), consumerPrefetch, priority, selector(m.arguments()));
    consumers.put(tag, consumer);
    if (!m.nowait()) {
      connection.send(number, new BasicConsumeOk(tag));
    }
    try {
      q.addConsumer(consumer, m.exclusive());
    } catch (Queue.ExclusiveConsumerException e) {
      consumers.remove(tag);
      throw AmqpException.of(
          ReplyCode.ACCESS_REFUSED, "%s in exclusive use", vhost().resource("queue", q.name()));
    }
  }

  /** The consumer's JMS selector ({@code x-filter-jms-selector}), or null to take everything. */
  private static JmsSelector selector(Map<String, Object> arguments) throws AmqpException {
    Object v = arguments.get(JmsSelector.ARGUMENT);
    if (v == null) {
      return null;
    }
    if (!(v instanceof LongString) && !(v instanceof String)) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "invalid arg '%s' for consumer: must be a string",
          JmsSelector.ARGUMENT);
    }
    String text = v.toString();
    if (text.isBlank()) {
      return null;
    }
    try {
      return JmsSelector.parse(text);
    } catch (IllegalArgumentException e) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "%s", e.getMessage());
    }
  }

  private Queue replyQueue(BasicConsume m) throws AmqpException {
    if (!m.noAck()) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "reply consumer cannot acknowledge");
    }
    if (replyQueue != null) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "reply consumer already set");
    }
    replyQueue =
        new Queue(
            VirtualHost.REPLY_TO + "." + randomToken(),
            vhost().name(),
            false,
            false,
            null,
            Map.of(),
            new io.warrenmq.broker.store.memory.MemoryQueueStorage(),
            connection.broker().config().limits().queueBacklogBytes(),
            q -> {});
    vhost().registerReplyQueue(replyQueue);
    return replyQueue;
  }

  @Override
  public void basicCancel(BasicCancel m) {
    ChannelConsumer c = consumers.remove(m.consumerTag());
    if (c != null) {
      c.cancel();
      c.queue().removeConsumer(c);
      if (c.queue() == replyQueue) {
        dropReplyQueue();
      }
    }
    if (!m.nowait()) {
      connection.send(number, new BasicCancelOk(m.consumerTag()));
    }
  }

  @Override
  public void basicGet(BasicGet m) throws AmqpException {
    Queue q = vhost().queue(queueName(m.queue()), connection);
    QueueEntry entry = q.get(m.noAck());
    if (entry == null) {
      connection.send(number, new BasicGetEmpty(""));
      return;
    }
    long tag = ++deliveryTag;
    Message msg = entry.message();
    Frames.writeContent(
        connection.socket(),
        number,
        new BasicGetOk(
            tag, entry.redelivered(), msg.exchange(), msg.routingKey(), q.messageCount()),
        msg.encodedProperties(),
        msg.body(),
        connection.frameMax());
    if (m.noAck()) {
      q.settle(entry, false);
    } else {
      unacked.add(new Unacked(tag, null, q, entry));
    }
  }

  @Override
  public void basicAck(BasicAck m) throws AmqpException {
    List<Unacked> done = unacked.take(m.deliveryTag(), m.multiple());
    if (txMode) {
      txSettles.add(new TxSettle(done, true, false));
    } else {
      settle(done, true, false);
    }
  }

  @Override
  public void basicNack(BasicNack m) throws AmqpException {
    List<Unacked> done = unacked.take(m.deliveryTag(), m.multiple());
    if (txMode) {
      txSettles.add(new TxSettle(done, false, m.requeue()));
    } else {
      settle(done, false, m.requeue());
    }
  }

  @Override
  public void basicReject(BasicReject m) throws AmqpException {
    List<Unacked> done = unacked.take(m.deliveryTag(), false);
    if (txMode) {
      txSettles.add(new TxSettle(done, false, m.requeue()));
    } else {
      settle(done, false, m.requeue());
    }
  }

  @Override
  public void basicRecoverAsync(BasicRecoverAsync m) throws AmqpException {
    recover(m.requeue());
  }

  @Override
  public void basicRecover(BasicRecover m) throws AmqpException {
    recover(m.requeue());
    connection.send(number, new BasicRecoverOk());
  }

  private void recover(boolean requeue) throws AmqpException {
    if (!requeue) {
      throw AmqpException.connection(ReplyCode.NOT_IMPLEMENTED, "requeue=false");
    }
    settle(unacked.takeAll(), false, true);
  }

  /**
   * Acknowledges, drops or requeues deliveries, returns their credit and wakes consumers that were
   * waiting for it. Requeued messages go back per queue in their original order.
   */
  private void settle(List<Unacked> deliveries, boolean ack, boolean requeue) {
    if (deliveries.isEmpty()) {
      return;
    }
    Map<Queue, List<QueueEntry>> back = requeue ? new LinkedHashMap<>() : null;
    for (Unacked u : deliveries) {
      if (u.consumer() != null) {
        u.consumer().settled();
        channelUnacked.decrementAndGet();
      }
      if (requeue && !ack) {
        back.computeIfAbsent(u.queue(), q -> new ArrayList<>()).add(u.entry());
      } else if (ack) {
        u.queue().settle(u.entry(), true);
      } else {
        u.queue().reject(u.entry(), true);
      }
    }
    if (back != null) {
      back.forEach(Queue::requeue);
    }
    creditReturned();
  }

  /** Credit came back (acks, qos, writability, flow): let starved consumers' queues dispatch. */
  void creditReturned() {
    if (state != State.OPEN) {
      return;
    }
    for (ChannelConsumer c : consumers.values()) {
      c.wakeIfStarved();
    }
  }

  // ------------------------------------------------------------------ delivery (any thread)

  /** Whether {@link #reserve} would give credit now (a hint for filtering consumers). */
  boolean mayReserve(ChannelConsumer consumer) {
    return canWrite()
        && (consumer.noAck() || channelPrefetch <= 0 || channelUnacked.get() < channelPrefetch);
  }

  /** Whether the channel takes deliveries now: open, flowing, outbox and socket not full. */
  private boolean canWrite() {
    return state == State.OPEN
        && flowActive
        && outboxSize.get() < OUTBOX_LIMIT
        && connection.socket().isWritable();
  }

  /** Takes channel-wide credit for one delivery to {@code consumer}; queue threads call this. */
  boolean reserve(ChannelConsumer consumer) {
    if (!canWrite()) {
      return false;
    }
    if (!consumer.noAck()) {
      int limit = channelPrefetch;
      if (limit > 0) {
        int n;
        do {
          n = channelUnacked.get();
          if (n >= limit) {
            return false;
          }
        } while (!channelUnacked.compareAndSet(n, n + 1));
      } else {
        channelUnacked.incrementAndGet();
      }
    }
    outboxSize.incrementAndGet();
    return true;
  }

  /** Queues a delivery for the event loop to write; queue threads call this. */
  void enqueueDelivery(ChannelConsumer consumer, QueueEntry entry) {
    outbox.offer(new PendingDelivery(consumer, entry));
    if (drainScheduled.compareAndSet(false, true)) {
      connection.context().executor().execute(this::drainOutbox);
    }
  }

  private void drainOutbox() {
    drainScheduled.set(false);
    boolean wrote = false;
    PendingDelivery d;
    while ((d = outbox.poll()) != null) {
      outboxSize.decrementAndGet();
      ChannelConsumer c = d.consumer();
      QueueEntry entry = d.entry();
      if (state != State.OPEN || c.cancelled()) {
        giveBack(c, entry);
        continue;
      }
      long tag = ++deliveryTag;
      Message msg = entry.message();
      Frames.writeContent(
          connection.socket(),
          number,
          new BasicDeliver(c.tag(), tag, entry.redelivered(), msg.exchange(), msg.routingKey()),
          msg.encodedProperties(),
          msg.body(),
          connection.frameMax());
      wrote = true;
      if (c.noAck()) {
        c.queue().settle(entry, false);
      } else {
        unacked.add(new Unacked(tag, c, c.queue(), entry));
      }
    }
    if (wrote) {
      connection.socket().flush();
    }
    creditReturned();
  }

  /** A delivery that could not be written goes back to its queue. */
  private void giveBack(ChannelConsumer c, QueueEntry entry) {
    if (!c.noAck()) {
      c.settled();
      channelUnacked.decrementAndGet();
    }
    c.queue().requeue(List.of(entry));
  }

  /** The consumer's queue was deleted; tell the client if it asked to be told. Any thread. */
  void consumerCancelledByQueue(ChannelConsumer c) {
    connection
        .context()
        .executor()
        .execute(
            () -> {
              if (consumers.remove(c.tag(), c)
                  && state == State.OPEN
                  && connection.consumerCancelNotify()) {
                connection.send(number, new BasicCancel(c.tag(), true));
                connection.socket().flush();
              }
            });
  }

  // ------------------------------------------------------------------ publishing

  private void publish(BasicPublish m, ByteBuf properties, ByteBuf body) throws AmqpException {
    Message msg =
        Message.fromWire(
            m.exchange(), m.routingKey(), properties, body, connection.broker().memory());
    try {
      msg = checkProperties(msg);
      connection.published();
      routes.clear();
      vhost().route(msg, routes);
      if (confirmMode) {
        publishSequence++;
      }
      if (txMode) {
        msg.retain();
        txPublishes.add(new TxPublish(msg, List.copyOf(routes.destinations()), m.mandatory()));
        return;
      }
      boolean watch = confirmMode && !routes.destinations().isEmpty() && msg.persistent();
      if (watch) {
        msg.watchSettlement(new EarlyConfirm(publishSequence, routes.destinations().size()));
      }
      boolean rejected = deliverToQueues(msg, routes.destinations(), m.mandatory());
      if (rejected && confirmMode) {
        rejectedPublishes.add(publishSequence);
      }
      if (watch && msg.storeId() != 0) {
        unsynced.add(publishSequence);
        lastPersisted = publishSequence;
      }
    } finally {
      msg.release();
    }
  }

  /** Returns whether a full queue refused the message (x-overflow reject-publish). */
  private boolean deliverToQueues(Message msg, List<Destination> queues, boolean mandatory) {
    if (queues.isEmpty()) {
      if (mandatory) {
        Frames.writeContent(
            connection.socket(),
            number,
            new BasicReturn(
                ReplyCode.NO_ROUTE.code(), "NO_ROUTE", msg.exchange(), msg.routingKey()),
            msg.encodedProperties(),
            msg.body(),
            connection.frameMax());
      }
      return false;
    }
    boolean rejected = false;
    for (int i = 0; i < queues.size(); i++) {
      Queue q = (Queue) queues.get(i);
      Queue.Enqueued result = q.enqueue(msg, connection);
      if (result.backlogged()) {
        connection.backlogged(q);
      } else if (result == Queue.Enqueued.REJECTED) {
        rejected = true;
      }
    }
    return rejected;
  }

  /**
   * Refuses a user_id that is not the publisher's own (RabbitMQ's validated user-id) and rewrites a
   * direct reply-to address. Properties are decoded only when their flags say these are present.
   */
  private Message checkProperties(Message msg) throws AmqpException {
    ByteBuf encoded = msg.encodedProperties();
    int flags = encoded.readableBytes() >= 2 ? encoded.getUnsignedShort(encoded.readerIndex()) : 0;
    if ((flags & (REPLY_TO_FLAG | USER_ID_FLAG)) == 0) {
      return msg;
    }
    BasicProperties p = msg.properties();
    if (p.userId() != null && !p.userId().equals(connection.user())) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED,
          "user_id property set to '%s' but authenticated user was '%s'",
          p.userId(),
          connection.user());
    }
    if (VirtualHost.REPLY_TO.equals(p.replyTo())) {
      if (replyQueue == null) {
        throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "fast reply consumer does not exist");
      }
      Message rewritten = msg.withProperties(p.withReplyTo(replyQueue.name()));
      msg.release();
      return rewritten;
    }
    return msg;
  }

  // ------------------------------------------------------------------ confirms and transactions

  @Override
  public void confirmSelect(ConfirmSelect m) throws AmqpException {
    if (txMode) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "cannot switch from tx to confirm mode");
    }
    confirmMode = true;
    if (!m.nowait()) {
      connection.send(number, new ConfirmSelectOk());
    }
  }

  @Override
  public void txSelect(TxSelect m) throws AmqpException {
    if (confirmMode) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "cannot switch from confirm to tx mode");
    }
    txMode = true;
    connection.send(number, new TxSelectOk());
  }

  @Override
  public void txCommit(TxCommit m) throws AmqpException {
    if (!txMode) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
    }
    boolean persisted = false;
    for (TxPublish p : txPublishes) {
      try {
        deliverToQueues(p.message(), p.queues(), p.mandatory());
        persisted |= p.message().storeId() != 0;
      } finally {
        p.message().release();
      }
    }
    txPublishes.clear();
    for (TxSettle s : txSettles) {
      settle(s.deliveries(), s.ack(), s.requeue());
    }
    txSettles.clear();
    if (!persisted) {
      connection.send(number, new TxCommitOk());
      return;
    }
    // commit-ok promises the persistent messages are on disk: wait for the sync.
    connection
        .broker()
        .whenSynced(
            failure ->
                connection
                    .context()
                    .executor()
                    .execute(
                        () -> {
                          if (state != State.OPEN) {
                            return;
                          }
                          if (failure != null) {
                            connection.closeWithError(
                                AmqpException.of(
                                        ReplyCode.INTERNAL_ERROR,
                                        "could not make the transaction durable: %s",
                                        failure)
                                    .causedBy(m));
                          } else {
                            connection.send(number, new TxCommitOk());
                          }
                          connection.socket().flush();
                        }));
  }

  @Override
  public void txRollback(TxRollback m) throws AmqpException {
    if (!txMode) {
      throw AmqpException.of(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
    }
    discardTransaction();
    connection.send(number, new TxRollbackOk());
  }

  private void discardTransaction() {
    for (TxPublish p : txPublishes) {
      p.message().release();
    }
    txPublishes.clear();
    for (TxSettle s : txSettles) {
      unacked.restore(s.deliveries());
    }
    txSettles.clear();
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
    discardTransaction();
    for (ChannelConsumer c : consumers.values()) {
      c.cancel();
    }
    // Unacknowledged messages go back before the consumers leave their queues: a single active
    // consumer's successor then gets them first, in their places, as in RabbitMQ.
    List<Unacked> all = unacked.takeAll();
    Map<Queue, List<QueueEntry>> back = new LinkedHashMap<>();
    for (Unacked u : all) {
      if (u.consumer() != null) {
        u.consumer().settled();
        channelUnacked.decrementAndGet();
      }
      back.computeIfAbsent(u.queue(), q -> new ArrayList<>()).add(u.entry());
    }
    back.forEach(Queue::requeue);
    for (ChannelConsumer c : consumers.values()) {
      c.queue().removeConsumer(c);
    }
    consumers.clear();
    dropReplyQueue();
    if (!outbox.isEmpty() && drainScheduled.compareAndSet(false, true)) {
      connection.context().executor().execute(this::drainOutbox);
    }
  }

  private void dropReplyQueue() {
    if (replyQueue != null) {
      vhost().unregisterReplyQueue(replyQueue);
      replyQueue.delete();
      replyQueue = null;
    }
  }

  private static String generateTag() {
    return "amq.ctag-" + randomToken();
  }

  private static String randomToken() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
