package io.warrenmq.jms.invm;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.exchange.Routes;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueConsumer;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One in-VM "channel": what {@code AmqpChannel} does for a network client, done with direct calls —
 * routing and enqueueing on the caller's thread, deliveries through one dispatch thread per session
 * (so a consumer sees them in order, and the queue, which calls consumers under its lock, is never
 * held up by application code), acknowledgements settling queue entries.
 *
 * <p>Locks: {@link #publishLock} is held while publishing (it takes queue locks); {@link #tagLock}
 * only to number a delivery or take it out of {@link #unacked}, and never while a queue lock is
 * wanted, so a queue's lock → tagLock is the only nesting and sessions publishing to each other's
 * consumers cannot deadlock.
 *
 * <p>Bodies: see {@link InVmMessages}.
 */
final class InVmLinkSession implements LinkSession {
  private record Unacked(Queue queue, QueueEntry entry, Consumer consumer) {}

  private record TxPublish(Message message, List<Destination> queues) {}

  private record TxSettle(long tag, boolean multiple, boolean ack, boolean requeue) {}

  private final InVmBrokerLink link;
  private final ExecutorService dispatch;
  private final Object publishLock = new Object();
  private final Object tagLock = new Object();
  private final ConcurrentSkipListMap<Long, Unacked> unacked = new ConcurrentSkipListMap<>();
  private final Map<String, Consumer> consumers = new ConcurrentHashMap<>();
  private final List<TxPublish> txPublishes = new ArrayList<>();
  private final List<TxSettle> txSettles = new ArrayList<>();
  private volatile Thread dispatchThread;
  private long nextTag;
  private boolean txMode;
  private ConfirmHandler confirms;
  private long publishSeq;
  private CompletableFuture<Void> confirmChain = CompletableFuture.completedFuture(null);
  private volatile boolean open = true;

  InVmLinkSession(InVmBrokerLink link) {
    this.link = link;
    this.dispatch =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "warren-jms-invm-dispatch");
              t.setDaemon(true);
              dispatchThread = t;
              return t;
            });
  }

  private void checkOpen() throws LinkException {
    link.checkOpen();
    if (!open) {
      throw new LinkException("the in-VM session is closed", 0, null);
    }
  }

  private static LinkException failure(String what, AmqpException e) {
    return new LinkException(what + ": " + e.code() + " - " + e.text(), e.code().code(), e);
  }

  // ---- topology ----------------------------------------------------------------------------

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
      return link.vhost()
          .declareQueue(
              name, durable, exclusive, autoDelete, arguments == null ? Map.of() : arguments, link)
          .queue()
          .name();
    } catch (AmqpException e) {
      throw failure("cannot declare queue '" + name + "'", e);
    }
  }

  @Override
  public boolean queueExists(String name) throws LinkException {
    checkOpen();
    try {
      link.vhost().queue(name, link);
      return true;
    } catch (AmqpException e) {
      if (e.code().code() == 404) {
        return false;
      }
      throw failure("cannot use queue '" + name + "'", e);
    }
  }

  @Override
  public boolean exchangeExists(String name) throws LinkException {
    checkOpen();
    try {
      link.vhost().exchange(name);
      return true;
    } catch (AmqpException e) {
      if (e.code().code() == 404) {
        return false;
      }
      throw failure("cannot use exchange '" + name + "'", e);
    }
  }

  @Override
  public void bindQueue(String queue, String exchange, String routingKey) throws LinkException {
    checkOpen();
    try {
      link.vhost().bindQueue(queue, exchange, routingKey, Map.of(), link);
    } catch (AmqpException e) {
      throw failure("cannot bind queue '" + queue + "'", e);
    }
  }

  @Override
  public void unbindQueue(String queue, String exchange, String routingKey) throws LinkException {
    checkOpen();
    try {
      link.vhost().unbindQueue(queue, exchange, routingKey, Map.of(), link);
    } catch (AmqpException e) {
      throw failure("cannot unbind queue '" + queue + "'", e);
    }
  }

  @Override
  public void deleteQueue(String queue) throws LinkException {
    checkOpen();
    try {
      link.vhost().deleteQueue(queue, false, false, link);
    } catch (AmqpException e) {
      throw failure("cannot delete queue '" + queue + "'", e);
    }
  }

  // ---- publishing --------------------------------------------------------------------------

  @Override
  public long publish(String exchange, String routingKey, AmqpMessage m) throws LinkException {
    checkOpen();
    byte[] body = m.body() == null ? new byte[0] : m.body();
    Message msg =
        Message.of(
            exchange,
            routingKey,
            InVmMessages.properties(m),
            Unpooled.wrappedBuffer(body),
            link.broker().memory());
    try {
      Routes routes = new Routes();
      link.vhost().route(msg, routes);
      synchronized (publishLock) {
        long seq = confirms != null ? ++publishSeq : 0;
        if (txMode) {
          msg.retain();
          txPublishes.add(new TxPublish(msg, List.copyOf(routes.destinations())));
          return seq;
        }
        boolean persisted = enqueue(msg, routes.destinations());
        if (confirms != null) {
          confirmLater(seq, persisted ? synced() : CompletableFuture.completedFuture(null));
        }
        return seq;
      }
    } catch (AmqpException e) {
      throw failure("cannot publish to exchange '" + exchange + "'", e);
    } finally {
      msg.release();
    }
  }

  private static boolean enqueue(Message msg, List<Destination> queues) {
    for (Destination d : queues) {
      ((Queue) d).enqueue(msg, null);
    }
    return msg.storeId() != 0;
  }

  /** Completes with null once the store has synced what was written so far, else the failure. */
  private CompletableFuture<Throwable> synced() {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    link.broker().whenSynced(done::complete);
    return done;
  }

  /** Confirms in publish order: a transient publish never overtakes a persistent one's sync. */
  private void confirmLater(long seq, CompletableFuture<Throwable> durable) {
    ConfirmHandler handler = confirms;
    confirmChain =
        confirmChain.thenCombineAsync(
            durable,
            (ignored, failure) -> {
              handler.confirmed(seq, false, failure == null);
              return null;
            },
            dispatch);
  }

  @Override
  public void confirmSelect(ConfirmHandler handler) throws LinkException {
    checkOpen();
    synchronized (publishLock) {
      if (txMode) {
        throw new LinkException(
            "PRECONDITION_FAILED - cannot switch from tx to confirm mode", 406, null);
      }
      confirms = handler;
    }
  }

  @Override
  public void txSelect() throws LinkException {
    checkOpen();
    synchronized (publishLock) {
      if (confirms != null) {
        throw new LinkException(
            "PRECONDITION_FAILED - cannot switch from confirm to tx mode", 406, null);
      }
      txMode = true;
    }
  }

  @Override
  public void txCommit() throws LinkException {
    checkOpen();
    List<TxPublish> publishes;
    List<TxSettle> settles;
    synchronized (publishLock) {
      if (!txMode) {
        throw new LinkException("PRECONDITION_FAILED - channel is not transactional", 406, null);
      }
      publishes = new ArrayList<>(txPublishes);
      settles = new ArrayList<>(txSettles);
      txPublishes.clear();
      txSettles.clear();
    }
    boolean persisted = false;
    for (TxPublish p : publishes) {
      try {
        persisted |= enqueue(p.message(), p.queues());
      } finally {
        p.message().release();
      }
    }
    for (TxSettle s : settles) {
      settle(s.tag(), s.multiple(), s.ack(), s.requeue());
    }
    if (persisted) {
      // As tx.commit-ok: the persistent messages are on disk before commit returns.
      try {
        Throwable failure = synced().get(30, TimeUnit.SECONDS);
        if (failure != null) {
          throw new LinkException(
              "INTERNAL_ERROR - could not make the transaction durable: " + failure, 541, failure);
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new LinkException("the store did not sync the transaction: " + e, 0, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LinkException("interrupted while committing", 0, e);
      }
    }
  }

  @Override
  public void txRollback() throws LinkException {
    checkOpen();
    synchronized (publishLock) {
      if (!txMode) {
        throw new LinkException("PRECONDITION_FAILED - channel is not transactional", 406, null);
      }
      for (TxPublish p : txPublishes) {
        p.message().release();
      }
      txPublishes.clear();
      txSettles.clear();
    }
  }

  // ---- consuming ---------------------------------------------------------------------------

  /** A queue consumer whose deliveries go to the session's dispatch thread. */
  private final class Consumer implements QueueConsumer {
    private final String tag;
    private final Queue queue;
    private final int prefetch;
    private final DeliveryHandler handler;
    private final AtomicInteger inFlight = new AtomicInteger();

    Consumer(String tag, Queue queue, int prefetch, DeliveryHandler handler) {
      this.tag = tag;
      this.queue = queue;
      this.prefetch = prefetch;
      this.handler = handler;
    }

    @Override
    public String tag() {
      return tag;
    }

    @Override
    public int priority() {
      return 0;
    }

    @Override
    public boolean noAck() {
      return false;
    }

    @Override
    public boolean reserve() {
      while (open) {
        int n = inFlight.get();
        if (n >= prefetch) {
          return false;
        }
        if (inFlight.compareAndSet(n, n + 1)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public void deliver(Queue q, QueueEntry entry) {
      // Under the queue's lock: number the delivery and hand it on, nothing more.
      synchronized (tagLock) {
        long deliveryTag = ++nextTag;
        unacked.put(deliveryTag, new Unacked(q, entry, this));
        dispatch.execute(() -> handler.handle(InVmMessages.delivery(deliveryTag, entry)));
      }
    }

    @Override
    public void cancelledByQueue(Queue q) {
      consumers.remove(tag, this);
      dispatch.execute(handler::cancelled);
    }

    void settled() {
      inFlight.decrementAndGet();
    }
  }

  @Override
  public String consume(String queueName, int prefetch, boolean exclusive, DeliveryHandler handler)
      throws LinkException {
    checkOpen();
    Queue queue;
    try {
      queue = link.vhost().queue(queueName, link);
    } catch (AmqpException e) {
      throw failure("cannot consume from queue '" + queueName + "'", e);
    }
    String tag = "amq.ctag-" + UUID.randomUUID();
    Consumer c = new Consumer(tag, queue, prefetch, handler);
    consumers.put(tag, c);
    try {
      queue.addConsumer(c, exclusive);
    } catch (Queue.ExclusiveConsumerException e) {
      consumers.remove(tag);
      throw new LinkException(
          "ACCESS_REFUSED - queue '" + queueName + "' in exclusive use", 403, e);
    }
    return tag;
  }

  @Override
  public void cancel(String consumerTag) throws LinkException {
    Consumer c = consumers.remove(consumerTag);
    if (c == null) {
      return;
    }
    c.queue.removeConsumer(c);
    // Every delivery to it was handed to the dispatch thread under the queue's lock, before the
    // removal: a marker behind them shows when the handler has had them all.
    if (Thread.currentThread() != dispatchThread && !dispatch.isShutdown()) {
      CountDownLatch done = new CountDownLatch(1);
      dispatch.execute(done::countDown);
      try {
        if (!done.await(30, TimeUnit.SECONDS)) {
          throw new LinkException("deliveries to " + consumerTag + " did not drain", 0, null);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LinkException("interrupted while cancelling a consumer", 0, e);
      }
    }
  }

  @Override
  public LinkDelivery get(String queueName) throws LinkException {
    checkOpen();
    Queue queue;
    try {
      queue = link.vhost().queue(queueName, link);
    } catch (AmqpException e) {
      throw failure("cannot get from queue '" + queueName + "'", e);
    }
    QueueEntry entry = queue.get(false);
    if (entry == null) {
      return null;
    }
    long deliveryTag;
    synchronized (tagLock) {
      deliveryTag = ++nextTag;
      unacked.put(deliveryTag, new Unacked(queue, entry, null));
    }
    return InVmMessages.delivery(deliveryTag, entry);
  }

  @Override
  public void ack(long deliveryTag, boolean multiple) throws LinkException {
    checkOpen();
    if (deferred(deliveryTag, multiple, true, false)) {
      return;
    }
    settle(deliveryTag, multiple, true, false);
  }

  @Override
  public void nack(long deliveryTag, boolean multiple, boolean requeue) throws LinkException {
    checkOpen();
    if (deferred(deliveryTag, multiple, false, requeue)) {
      return;
    }
    settle(deliveryTag, multiple, false, requeue);
  }

  /** In a transaction, acks and nacks wait for the commit. */
  private boolean deferred(long tag, boolean multiple, boolean ack, boolean requeue) {
    synchronized (publishLock) {
      if (txMode) {
        txSettles.add(new TxSettle(tag, multiple, ack, requeue));
        return true;
      }
      return false;
    }
  }

  private void settle(long tag, boolean multiple, boolean ack, boolean requeue)
      throws LinkException {
    List<Unacked> taken = new ArrayList<>();
    synchronized (tagLock) {
      if (multiple) {
        Map<Long, Unacked> head = unacked.headMap(tag, true);
        taken.addAll(head.values());
        head.clear();
      } else {
        Unacked u = unacked.remove(tag);
        if (u == null) {
          throw new LinkException("PRECONDITION_FAILED - unknown delivery tag " + tag, 406, null);
        }
        taken.add(u);
      }
    }
    settle(taken, ack || !requeue);
  }

  /** Out of every lock: settles (acks, or drops) or requeues, then lets the queues dispatch. */
  private static void settle(List<Unacked> taken, boolean remove) {
    Map<Queue, List<QueueEntry>> requeue = new LinkedHashMap<>();
    Set<Queue> touched = new LinkedHashSet<>();
    for (Unacked u : taken) {
      if (remove) {
        u.queue().settle(u.entry(), true);
      } else {
        requeue.computeIfAbsent(u.queue(), q -> new ArrayList<>()).add(u.entry());
      }
      if (u.consumer() != null) {
        u.consumer().settled();
      }
      touched.add(u.queue());
    }
    requeue.forEach(Queue::requeue);
    for (Queue q : touched) {
      q.dispatch();
    }
  }

  @Override
  public boolean isOpen() {
    return open && link.isOpen();
  }

  /** As a channel close: consumers go, unacknowledged messages go back, a transaction is lost. */
  @Override
  public void close() {
    if (!open) {
      return;
    }
    open = false;
    for (Consumer c : List.copyOf(consumers.values())) {
      consumers.remove(c.tag);
      c.queue.removeConsumer(c);
    }
    List<Unacked> left;
    synchronized (tagLock) {
      left = new ArrayList<>(unacked.values());
      unacked.clear();
    }
    settle(left, false);
    synchronized (publishLock) {
      for (TxPublish p : txPublishes) {
        p.message().release();
      }
      txPublishes.clear();
      txSettles.clear();
    }
    dispatch.shutdown();
    link.sessionClosed(this);
  }
}
