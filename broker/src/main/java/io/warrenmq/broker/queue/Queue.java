package io.warrenmq.broker.queue;

import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.message.Message;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A queue: ready messages in order, the consumers they go to, and the rules between them.
 *
 * <p><b>Threads.</b> A queue is owned by one thread at a time through its own lock: the publisher
 * that enqueues, the consumer whose ack frees credit, or the channel that requeues, each takes the
 * lock, does its part and dispatches whatever can go. There is no broker-wide lock on this path,
 * and no thread hop: a publish on one connection hands the message straight to the consumer's
 * outbox, and the consumer's own event loop writes it. Calls out of the lock (consumer
 * cancellation, auto-delete, backpressure release) happen after it is released.
 *
 * <p><b>Dispatch.</b> Consumers are kept in priority order; the first with credit takes the next
 * message and moves to the back of its priority group, which gives round-robin among equals and
 * fair dispatch under prefetch. A consumer with a {@link QueueConsumer#filter() filter} takes the
 * head only when it matches, and otherwise the first matching message further on: the queue
 * remembers, for each such consumer, up to which sequence number it has found nothing, so each
 * message is tested against a filter once unless it comes back (requeue).
 *
 * <p><b>Priorities.</b> With {@code x-max-priority} a message's place ({@link QueueEntry#position})
 * puts it behind those of higher priority and its own priority's earlier arrivals; the storage
 * keeps each priority apart (RabbitMQ keeps a backing queue per priority), so a publish costs the
 * same as without priorities. Without {@code x-max-priority} no priority is read at all.
 *
 * <p><b>Memory.</b> Ready octets above {@code backlogLimit} make {@link #enqueue} report
 * backpressure: the publisher stops reading its socket until the backlog halves.
 */
public final class Queue implements Destination {

  /** Told when a queue with auto-delete loses its last consumer, and of its dead letters. */
  public interface Lifecycle {
    void lastConsumerGone(Queue queue);

    /**
     * Messages this queue dead-letters (it has {@code x-dead-letter-exchange}), called outside its
     * lock; the queue hands over one reference to each message.
     */
    /** The queue was unused for its {@code x-expires}: no consumers, no basic.get, no redeclare. */
    default void unused(Queue queue) {}

    /**
     * Runs {@code task} after {@code delayMillis}, on a timer the broker owns and stops: the
     * queue's expiry of head messages and of its {@code x-expires} lease. Without one (a channel's
     * private reply queue) messages expire only when the queue is read.
     */
    default void schedule(Runnable task, long delayMillis) {}

    /**
     * A delivered message left the queue for good: acknowledged ({@code acked}), or rejected
     * without requeue. Called before the queue lets go of it, on the settling thread.
     */
    default void removed(Queue queue, Message message, boolean acked) {}

    default void deadLettered(Queue queue, List<DeadLetter> letters) {
      for (DeadLetter l : letters) {
        l.message().release();
      }
    }
  }

  /** A message leaving a queue for its dead-letter exchange, and why: RabbitMQ's reasons. */
  public record DeadLetter(Message message, String reason) {
    public static final String REJECTED = "rejected";
    public static final String EXPIRED = "expired";
    public static final String MAXLEN = "maxlen";
    public static final String DELIVERY_LIMIT = "delivery_limit";
  }

  /** What became of a message offered to {@link #enqueue}. */
  public enum Enqueued {
    /** Taken. */
    TAKEN,
    /** Taken, and the queue's backlog is over its bound: the publisher should pause. */
    TAKEN_BACKLOGGED,
    /** Refused: the queue is full and overflows by rejecting publishes. */
    REJECTED;

    public boolean backlogged() {
      return this == TAKEN_BACKLOGGED;
    }
  }

  private final String name;
  private final String vhost;
  private final boolean durable;
  private final boolean autoDelete;
  private final String exclusiveOwner;
  private volatile long incarnation;
  private final Map<String, Object> arguments;
  private final QueueSettings settings;
  private final QueueStorage storage;
  private final long backlogLimit;
  private final Lifecycle lifecycle;

  private final ReentrantLock lock = new ReentrantLock();
  private final List<QueueConsumer> consumers = new ArrayList<>();
  private final List<Filtering> filtering = new ArrayList<>();

  /** {@code x-single-active-consumer}: consumers in the order they came; the first one is fed. */
  private final boolean singleActive;

  private final java.util.ArrayDeque<QueueConsumer> arrivals = new java.util.ArrayDeque<>();
  private final Set<BackpressureListener> waiting = new LinkedHashSet<>();
  private final long ttlMillis;
  private final long maxLength;
  private final long maxLengthBytes;
  private final QueueSettings.Overflow overflow;
  private final boolean deadLetters;

  /** {@code x-max-priority}, or 0: messages are ordered by priority up to it. */
  private final int maxPriority;

  /** A quorum queue's own rules; null for a classic queue. */
  private final QuorumRules quorum;

  private List<DeadLetter> pendingDeadLetters;
  private long readyBytes;

  /** Whether messages here can expire: a queue TTL, or a message with an expiration came. */
  private boolean expiring;

  /** {@code x-expires}: how long the queue may go unused, or -1. */
  private final long expiresMillis;

  /** When it was last used (consumer gone, basic.get, redeclare); under the lock. */
  private long lastUsed = System.currentTimeMillis();

  /** When the expiry timer is set to wake this queue, or {@link Long#MAX_VALUE}. */
  private long expiryWakeAt = Long.MAX_VALUE;

  private long nextSequence;
  private boolean exclusiveConsumer;
  private int unacked;
  private volatile boolean deleted;

  /** A queue whose settings are read from {@code arguments} (see {@link QueueSettings#of}). */
  public Queue(
      String name,
      String vhost,
      boolean durable,
      boolean autoDelete,
      String exclusiveOwner,
      Map<String, Object> arguments,
      QueueStorage storage,
      long backlogLimit,
      Lifecycle lifecycle) {
    this(
        name,
        vhost,
        durable,
        autoDelete,
        exclusiveOwner,
        arguments,
        QueueSettings.of(arguments),
        storage,
        backlogLimit,
        lifecycle);
  }

  /**
   * @param arguments the declared arguments, kept for redeclaration and the store
   * @param settings what they ask for, checked (see {@link QueueDeclaration})
   */
  public Queue(
      String name,
      String vhost,
      boolean durable,
      boolean autoDelete,
      String exclusiveOwner,
      Map<String, Object> arguments,
      QueueSettings settings,
      QueueStorage storage,
      long backlogLimit,
      Lifecycle lifecycle) {
    this.name = name;
    this.vhost = vhost;
    this.durable = durable;
    this.autoDelete = autoDelete;
    this.exclusiveOwner = exclusiveOwner;
    this.arguments = arguments == null ? Map.of() : arguments;
    this.settings = settings;
    this.storage = storage;
    this.backlogLimit = backlogLimit;
    this.lifecycle = lifecycle;
    this.nextSequence = storage.nextSequence();
    this.ttlMillis = settings.messageTtl();
    this.maxLength = settings.maxLength();
    this.maxLengthBytes = settings.maxLengthBytes();
    this.quorum = settings.type() == QueueType.QUORUM ? new QuorumRules(settings) : null;
    this.overflow =
        quorum == null ? settings.overflow() : QuorumRules.overflow(settings.overflow());
    this.deadLetters = settings.deadLetters();
    this.maxPriority = settings.maxPriority();
    this.expiring = ttlMillis >= 0;
    this.singleActive = settings.singleActiveConsumer();
    this.expiresMillis = settings.expires();
    if (expiresMillis > 0) {
      lifecycle.schedule(this::checkUnused, expiresMillis);
    }
    // Recovered messages count once they are read back from the store.
    this.readyBytes = storage.bytes();
  }

  /**
   * Sets the expiry timer for the head message, if it expires sooner than the timer is set for.
   * Under the lock.
   */
  private void scheduleHeadExpiry() {
    if (!expiring || deleted) {
      return;
    }
    QueueEntry head = storage.peek();
    if (head == null || head.expiresAt() == Long.MAX_VALUE || head.expiresAt() >= expiryWakeAt) {
      return;
    }
    expiryWakeAt = head.expiresAt();
    lifecycle.schedule(this::expiryDue, expiryWakeAt - System.currentTimeMillis());
  }

  private void expiryDue() {
    lock.lock();
    try {
      expiryWakeAt = Long.MAX_VALUE;
      if (deleted) {
        return;
      }
    } finally {
      lock.unlock();
    }
    dispatch();
  }

  /** The queue was declared again or read: its {@code x-expires} lease starts over. */
  public void used() {
    if (expiresMillis > 0) {
      lock.lock();
      try {
        lastUsed = System.currentTimeMillis();
      } finally {
        lock.unlock();
      }
    }
  }

  /** On the timer: deletes the queue if unused for {@code x-expires}, else looks again later. */
  private void checkUnused() {
    long next;
    lock.lock();
    try {
      if (deleted || !consumers.isEmpty()) {
        // A consumer keeps it in use; the last one to leave starts the lease again.
        return;
      }
      next = lastUsed + expiresMillis - System.currentTimeMillis();
    } finally {
      lock.unlock();
    }
    if (next > 0) {
      lifecycle.schedule(this::checkUnused, next);
    } else {
      lifecycle.unused(this);
    }
  }

  /** Whether the queue, full, refuses {@code message} (x-overflow reject-publish). */
  private boolean refuses(Message message) {
    return quorum == null
        ? full(message.bodySize())
        : quorum.rejectsPublish(storage.size(), readyBytes);
  }

  /** Whether one more message of {@code bodySize} octets would take the queue over its limits. */
  private boolean full(int bodySize) {
    return (maxLength >= 0 && storage.size() >= maxLength)
        || (maxLengthBytes >= 0 && readyBytes + bodySize > maxLengthBytes);
  }

  /** Drops head messages while the queue is over its limits (x-overflow drop-head). */
  private void dropHeadOverLimits() {
    while (storage.size() > 0
        && ((maxLength >= 0 && storage.size() > maxLength)
            || (maxLengthBytes >= 0 && readyBytes > maxLengthBytes))) {
      QueueEntry head = take(storage.poll());
      storage.settle(head);
      head.message().settledByQueue();
      leave(head.message(), DeadLetter.MAXLEN);
    }
  }

  /** A ready entry leaves the queue: the ready octets count it no more. Under the lock. */
  private QueueEntry take(QueueEntry entry) {
    if (entry != null) {
      // Messages recovered from the store were never counted: the count does not go below zero.
      readyBytes = Math.max(0, readyBytes - entry.message().bodySize());
    }
    return entry;
  }

  /**
   * A message that is gone from this queue for good without being consumed: dead-lettered when the
   * queue has a dead-letter exchange, else released. Under the lock; the letters go out once it is
   * released ({@link #sendDeadLetters}).
   */
  private void leave(Message message, String reason) {
    if (!deadLetters) {
      message.release();
      return;
    }
    if (pendingDeadLetters == null) {
      pendingDeadLetters = new ArrayList<>();
    }
    pendingDeadLetters.add(new DeadLetter(message, reason));
  }

  /** Hands the dead letters collected under the lock to the virtual host. Not under the lock. */
  private void sendDeadLetters() {
    if (!deadLetters) {
      return;
    }
    List<DeadLetter> letters;
    lock.lock();
    try {
      letters = pendingDeadLetters;
      pendingDeadLetters = null;
    } finally {
      lock.unlock();
    }
    if (letters != null) {
      lifecycle.deadLettered(this, letters);
    }
  }

  /**
   * When a message enqueued now expires: the shorter of the queue's {@code x-message-ttl} and the
   * message's own expiration, or never.
   */
  private long expiresAt(Message message) {
    long ttl = ttlMillis;
    long own = message.expirationMillis();
    if (own >= 0 && (ttl < 0 || own < ttl)) {
      ttl = own;
    }
    return ttl < 0 ? Long.MAX_VALUE : System.currentTimeMillis() + ttl;
  }

  /**
   * Drops expired messages at the head, as RabbitMQ does: a message is checked when it reaches the
   * head, before delivery, by basic.get, and when the queue is counted. Under the lock.
   */
  private void dropExpiredHead() {
    long now = System.currentTimeMillis();
    QueueEntry head;
    while ((head = storage.peek()) != null && head.expired(now)) {
      take(storage.poll());
      storage.settle(head);
      leave(head.message(), DeadLetter.EXPIRED);
    }
  }

  /**
   * Adds a message (retaining it) and delivers what can go.
   *
   * @param waiter told when the backlog shrinks, if this call reports backpressure
   * @return whether the queue took it, and whether the publisher should pause
   */
  public Enqueued enqueue(Message message, BackpressureListener waiter) {
    return enqueue(message, waiter, false);
  }

  /**
   * The same, for a message that comes marked redelivered: one another node's queue delivered
   * again, which this queue stands in for.
   */
  public Enqueued enqueue(Message message, BackpressureListener waiter, boolean redelivered) {
    Enqueued result = Enqueued.TAKEN;
    lock.lock();
    try {
      if (deleted) {
        return Enqueued.TAKEN;
      }
      if (overflow != QueueSettings.Overflow.DROP_HEAD && refuses(message)) {
        if (overflow == QueueSettings.Overflow.REJECT_PUBLISH_DLX) {
          message.retain();
          leave(message, DeadLetter.MAXLEN);
        }
        result = Enqueued.REJECTED;
      } else {
        result = add(message, waiter, redelivered);
      }
    } finally {
      lock.unlock();
    }
    sendDeadLetters();
    return result;
  }

  private Enqueued add(Message message, BackpressureListener waiter, boolean redelivered) {
    message.retain();
    if (!expiring && message.expirationMillis() >= 0) {
      expiring = true;
    }
    readyBytes += message.bodySize();
    // Through storage even when a consumer takes it at once: a persistent message must be on
    // disk until it is acknowledged.
    long place = nextSequence++;
    if (maxPriority > 0) {
      place = placeByPriority(message, place);
    }
    storage.add(new QueueEntry(place, message, redelivered, expiresAt(message)));
    if (storage.size() == 1) {
      QueueConsumer consumer = takeConsumer(message);
      if (consumer != null) {
        deliver(consumer, take(storage.poll()));
        return Enqueued.TAKEN;
      }
    }
    if (!filtering.isEmpty()) {
      dispatchFiltering();
    }
    if (overflow == QueueSettings.Overflow.DROP_HEAD) {
      // A quorum queue that rejects publishes may go one over its limit.
      dropHeadOverLimits();
    }
    scheduleHeadExpiry();
    if (storage.bytes() > backlogLimit && waiter != null) {
      waiting.add(waiter);
      return Enqueued.TAKEN_BACKLOGGED;
    }
    return Enqueued.TAKEN;
  }

  /**
   * {@code x-max-priority}: the place of the {@code arrival}-th message, by its priority capped to
   * the queue's maximum, as RabbitMQ caps it. A filtering consumer that searched past that place
   * searches again from it. Under the lock.
   */
  private long placeByPriority(Message message, long arrival) {
    long place = QueueEntry.position(Math.min(message.priority(), maxPriority), arrival);
    for (Filtering f : filtering) {
      f.searchedTo = Math.min(f.searchedTo, place);
    }
    return place;
  }

  /** Delivers ready messages to consumers with credit. Any thread. */
  public void dispatch() {
    List<BackpressureListener> released = null;
    lock.lock();
    try {
      dropExpiredHead();
      QueueEntry head;
      while ((head = storage.peek()) != null) {
        QueueConsumer consumer = takeConsumer(head.message());
        if (consumer == null) {
          break;
        }
        deliver(consumer, take(storage.poll()));
        dropExpiredHead();
      }
      if (!filtering.isEmpty()) {
        dispatchFiltering();
      }
      scheduleHeadExpiry();
      released = releaseWaiters();
    } finally {
      lock.unlock();
    }
    notifyReleased(released);
    sendDeadLetters();
  }

  private void deliver(QueueConsumer consumer, QueueEntry entry) {
    if (!consumer.noAck()) {
      unacked++;
      storage.delivered(entry);
    }
    if (quorum != null) {
      quorum.delivering(entry, false);
    }
    consumer.deliver(this, entry);
  }

  /**
   * Gives each filtering consumer with credit the first matching messages past the point it has
   * searched to, as many as its credit allows. Under the lock.
   */
  private void dispatchFiltering() {
    long now = System.currentTimeMillis();
    for (Filtering f : filtering) {
      if (singleActive && f.consumer != arrivals.peekFirst()) {
        continue;
      }
      while (f.searchedTo < nextSequence && storage.size() > 0 && f.consumer.mayReserve()) {
        QueueEntry entry =
            storage.takeFirst(f.searchedTo, e -> !e.expired(now) && f.filter.test(e.message()));
        if (entry == null) {
          f.searchedTo = nextSequence;
          break;
        }
        take(entry);
        f.searchedTo = entry.sequence() + 1;
        if (!f.consumer.reserve()) {
          // Credit went between the look and the take; the consumer asks again when it has some.
          storage.requeue(List.of(entry));
          readyBytes += entry.message().bodySize();
          f.searchedTo = entry.sequence();
          break;
        }
        deliver(f.consumer, entry);
      }
    }
  }

  /**
   * Finds the highest-priority consumer with credit that takes {@code message}, reserves its credit
   * and rotates it behind its equals. Under the lock.
   */
  private QueueConsumer takeConsumer(Message message) {
    if (singleActive) {
      QueueConsumer active = arrivals.peekFirst();
      Predicate<Message> filter = active == null ? null : active.filter();
      return active != null && (filter == null || filter.test(message)) && active.reserve()
          ? active
          : null;
    }
    for (int i = 0; i < consumers.size(); i++) {
      QueueConsumer c = consumers.get(i);
      Predicate<Message> filter = c.filter();
      if ((filter == null || filter.test(message)) && c.reserve()) {
        int last = i;
        while (last + 1 < consumers.size() && consumers.get(last + 1).priority() == c.priority()) {
          last++;
        }
        if (last != i) {
          consumers.remove(i);
          consumers.add(last, c);
        }
        return c;
      }
    }
    return null;
  }

  /**
   * Takes the head message for basic.get.
   *
   * @param noAck whether the caller settles it at once (with {@link #settle}, once sent)
   * @return the entry, or null when the queue has no ready message
   */
  public QueueEntry get(boolean noAck) {
    List<BackpressureListener> released;
    QueueEntry entry;
    lock.lock();
    try {
      dropExpiredHead();
      lastUsed = System.currentTimeMillis();
      entry = take(storage.poll());
      if (entry != null && !noAck) {
        unacked++;
        storage.delivered(entry);
      }
      if (entry != null && quorum != null) {
        quorum.delivering(entry, true);
      }
      scheduleHeadExpiry();
      released = releaseWaiters();
    } finally {
      lock.unlock();
    }
    notifyReleased(released);
    sendDeadLetters();
    return entry;
  }

  /** A delivered message was acknowledged: it leaves the queue for good. Releases the message. */
  public void settle(QueueEntry entry, boolean wasUnacked) {
    remove(entry, wasUnacked, null);
  }

  /**
   * A delivered message was rejected without requeue (basic.reject, basic.nack): it leaves the
   * queue, for the dead-letter exchange if the queue has one.
   */
  public void reject(QueueEntry entry, boolean wasUnacked) {
    remove(entry, wasUnacked, DeadLetter.REJECTED);
  }

  /** A delivered message leaves for good: acknowledged, or dead-lettered for {@code reason}. */
  private void remove(QueueEntry entry, boolean wasUnacked, String reason) {
    lifecycle.removed(this, entry.message(), reason == null);
    boolean deadLetter = reason != null && deadLetters;
    entry.undecorate();
    lock.lock();
    try {
      if (wasUnacked) {
        unacked--;
      }
      if (!deleted) {
        storage.settle(entry);
      }
      if (deadLetter) {
        entry.message().settledByQueue();
        leave(entry.message(), reason);
      }
    } finally {
      lock.unlock();
    }
    if (deadLetter) {
      sendDeadLetters();
    } else {
      entry.message().settledByQueue();
      entry.message().release();
    }
  }

  /** Delivered messages come back, marked redelivered, in their original places. */
  public void requeue(List<QueueEntry> entries) {
    requeue(entries, true);
  }

  /**
   * The same, for entries that were or were not counted as unacknowledged (a {@code basic.get}
   * without ack taken when its channel had closed was not).
   */
  public void requeue(List<QueueEntry> entries, boolean wereUnacked) {
    if (entries.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      if (wereUnacked) {
        unacked -= entries.size();
      }
      for (QueueEntry e : entries) {
        e.undecorate();
      }
      if (deleted) {
        for (QueueEntry e : entries) {
          e.message().release();
        }
        return;
      }
      if (quorum != null) {
        entries = dropOverDeliveryLimit(entries);
      }
      long oldest = Long.MAX_VALUE;
      for (QueueEntry e : entries) {
        e.markRedelivered();
        oldest = Math.min(oldest, e.sequence());
        readyBytes += e.message().bodySize();
      }
      storage.requeue(entries);
      for (Filtering f : filtering) {
        f.searchedTo = Math.min(f.searchedTo, oldest);
      }
      // Back over the limit: the oldest go, as RabbitMQ drops them (x-overflow drop-head).
      if (overflow == QueueSettings.Overflow.DROP_HEAD) {
        dropHeadOverLimits();
      }
    } finally {
      lock.unlock();
    }
    dispatch();
  }

  /**
   * A quorum queue counts each return; those returned more often than {@code x-delivery-limit}
   * leave (dead-lettered with reason {@code delivery_limit}). Returns the rest. Under the lock.
   */
  private List<QueueEntry> dropOverDeliveryLimit(List<QueueEntry> entries) {
    List<QueueEntry> back = entries;
    for (int i = 0; i < entries.size(); i++) {
      QueueEntry e = entries.get(i);
      if (quorum.returned(e)) {
        if (back == entries) {
          back = new ArrayList<>(entries.subList(0, i));
        }
        storage.settle(e);
        e.message().settledByQueue();
        leave(e.message(), DeadLetter.DELIVERY_LIMIT);
      } else if (back != entries) {
        back.add(e);
      }
    }
    return back;
  }

  /** Adds a consumer and delivers to it what is ready. */
  public void addConsumer(QueueConsumer consumer, boolean exclusive)
      throws ExclusiveConsumerException {
    lock.lock();
    try {
      if (exclusiveConsumer || (exclusive && !consumers.isEmpty())) {
        throw new ExclusiveConsumerException();
      }
      exclusiveConsumer = exclusive;
      int at = 0;
      while (at < consumers.size() && consumers.get(at).priority() >= consumer.priority()) {
        at++;
      }
      consumers.add(at, consumer);
      arrivals.addLast(consumer);
      Predicate<Message> filter = consumer.filter();
      if (filter != null) {
        filtering.add(new Filtering(consumer, filter));
      }
    } finally {
      lock.unlock();
    }
    dispatch();
  }

  /**
   * Returns once no thread is in the middle of dispatching this queue: a consumer that takes no
   * credit from now on (it was cancelled) has by then been handed every message it will get.
   */
  public void awaitDispatch() {
    lock.lock();
    lock.unlock();
  }

  /** Removes a consumer; an auto-delete queue that loses its last one is deleted. */
  public void removeConsumer(QueueConsumer consumer) {
    boolean last;
    boolean handOver = false;
    lock.lock();
    try {
      if (!consumers.remove(consumer)) {
        return;
      }
      filtering.removeIf(f -> f.consumer == consumer);
      handOver = singleActive && arrivals.peekFirst() == consumer && arrivals.size() > 1;
      arrivals.remove(consumer);
      exclusiveConsumer = false;
      last = consumers.isEmpty() && autoDelete && !deleted;
      if (consumers.isEmpty() && expiresMillis > 0) {
        lastUsed = System.currentTimeMillis();
        lifecycle.schedule(this::checkUnused, expiresMillis);
      }
    } finally {
      lock.unlock();
    }
    if (handOver) {
      // The next consumer in line becomes the single active one.
      dispatch();
    }
    if (last) {
      lifecycle.lastConsumerGone(this);
    }
  }

  /** Removes every ready message; returns how many. */
  public int purge() {
    int dropped;
    List<BackpressureListener> released;
    lock.lock();
    try {
      dropped = storage.purge();
      readyBytes = 0;
      released = releaseWaiters();
    } finally {
      lock.unlock();
    }
    notifyReleased(released);
    return dropped;
  }

  /**
   * For a replicated queue: completes once a majority of its nodes hold every message it took so
   * far (false when that failed); null for a queue of one node.
   */
  public java.util.concurrent.CompletableFuture<Boolean> replicated() {
    return storage.replicated();
  }

  /**
   * Marks the queue deleted, drops its ready messages and cancels its consumers. Called by the
   * virtual host once the queue is out of its tables.
   *
   * @return the number of ready messages dropped
   */
  public int delete() {
    List<QueueConsumer> cancelled;
    List<BackpressureListener> released;
    int dropped;
    lock.lock();
    try {
      if (deleted) {
        return 0;
      }
      deleted = true;
      dropped = storage.size();
      storage.destroy();
      cancelled = new ArrayList<>(consumers);
      consumers.clear();
      arrivals.clear();
      filtering.clear();
      released = new ArrayList<>(waiting);
      waiting.clear();
    } finally {
      lock.unlock();
    }
    for (QueueConsumer c : cancelled) {
      c.cancelledByQueue(this);
    }
    notifyReleased(released);
    return dropped;
  }

  /**
   * The broker is stopping: lets go of the messages held on the heap, leaving stored ones for the
   * next start. Later calls find the queue as if deleted.
   */
  public void close() {
    lock.lock();
    try {
      if (deleted) {
        return;
      }
      deleted = true;
      storage.close();
      consumers.clear();
      arrivals.clear();
      filtering.clear();
      waiting.clear();
    } finally {
      lock.unlock();
    }
  }

  private List<BackpressureListener> releaseWaiters() {
    if (waiting.isEmpty() || storage.bytes() > backlogLimit / 2) {
      return null;
    }
    List<BackpressureListener> released = new ArrayList<>(waiting);
    waiting.clear();
    return released;
  }

  private void notifyReleased(List<BackpressureListener> released) {
    if (released != null) {
      for (BackpressureListener l : released) {
        l.backlogDrained(this);
      }
    }
  }

  /** The number of ready messages. */
  public int messageCount() {
    int count;
    lock.lock();
    try {
      dropExpiredHead();
      count = storage.size();
    } finally {
      lock.unlock();
    }
    sendDeadLetters();
    return count;
  }

  public int consumerCount() {
    lock.lock();
    try {
      return consumers.size();
    } finally {
      lock.unlock();
    }
  }

  /** Delivered messages not yet acknowledged. */
  public int unackedCount() {
    lock.lock();
    try {
      return unacked;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the queue was deleted (a transaction's routed publish then finds it by name again). */
  public boolean deleted() {
    return deleted;
  }

  @Override
  public String name() {
    return name;
  }

  public String vhost() {
    return vhost;
  }

  public boolean durable() {
    return durable;
  }

  public boolean autoDelete() {
    return autoDelete;
  }

  public boolean exclusive() {
    return exclusiveOwner != null;
  }

  /** The id of the connection that owns this exclusive queue, or null. */
  public String exclusiveOwner() {
    return exclusiveOwner;
  }

  /**
   * Which declaration made this queue: its index in the cluster's log, the same on every node; 0 on
   * a broker of its own. A deletion the log replays names it, so it never deletes a newer queue of
   * the same name.
   */
  public long incarnation() {
    return incarnation;
  }

  public void incarnation(long index) {
    this.incarnation = index;
  }

  public Map<String, Object> arguments() {
    return arguments;
  }

  /** What the queue's arguments ask of it. */
  public QueueSettings settings() {
    return settings;
  }

  /** A consumer with a filter, and the sequence number before which nothing ready matches it. */
  private static final class Filtering {
    final QueueConsumer consumer;
    final Predicate<Message> filter;
    long searchedTo = Long.MIN_VALUE;

    Filtering(QueueConsumer consumer, Predicate<Message> filter) {
      this.consumer = consumer;
      this.filter = filter;
    }
  }

  /** Thrown when a consumer would break a queue's exclusive-consumer rule. */
  public static final class ExclusiveConsumerException extends Exception {
    ExclusiveConsumerException() {
      super(null, null, false, false);
    }
  }
}
