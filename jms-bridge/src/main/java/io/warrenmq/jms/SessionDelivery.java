package io.warrenmq.jms;

import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.message.MessageCodec;
import io.warrenmq.jms.message.WarrenMessage;
import jakarta.jms.JMSException;
import jakarta.jms.Session;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A session's delivery bookkeeping: turning deliveries into the messages the application sees
 * (dropping expired, not-selected and noLocal ones, holding back those not yet due), the messages
 * handed to the application and not yet acknowledged, the delivery counts behind JMSXDeliveryCount,
 * and the session's one listener thread.
 *
 * <p>Delivery counts: the broker says only whether a message was delivered before. A queue that
 * counts ({@code x-delivery-count}, as RabbitMQ's quorum queues do) is believed; otherwise the
 * session remembers, per message id, how often it handed a message to the application before
 * requeueing it (recover, rollback, a failing listener), and messages it requeued without handing
 * them over (prefetched, still buffered) come back with their old count. A message redelivered for
 * a reason the session did not see (another connection's failure) counts 2.
 *
 * <p>Listener thread: the link's threads only put deliveries in each consumer's buffer and, for a
 * consumer with a listener, its name in {@link #ready}; one thread per session takes them in
 * arrival order and runs the listeners serially (JMS §6.2.13), holding {@link #running} meanwhile
 * so that Connection.stop can wait for a listener in progress.
 */
final class SessionDelivery {
  record Delivered(long tag, String messageId, int count) {}

  /** How a message handed on (to a server session) ended: processed, or to be redelivered. */
  @FunctionalInterface
  interface Outcome {
    void settle(boolean processed);
  }

  /**
   * A listener that finishes with a message later, on another thread: the message stays
   * unacknowledged until its outcome is settled. A connection consumer's, which hands messages to
   * server sessions.
   */
  @FunctionalInterface
  interface DeferredListener extends jakarta.jms.MessageListener {
    void onMessage(WarrenMessage message, Outcome outcome);

    @Override
    default void onMessage(jakarta.jms.Message message) {
      throw new UnsupportedOperationException("a deferred listener needs an outcome");
    }
  }

  private static final int REMEMBERED = 10_000;
  private static final Object STOP = new Object();

  private final WarrenSession session;
  private final List<Delivered> unacked = new ArrayList<>();
  private final Map<String, Integer> counts = bounded();
  private final Map<String, Boolean> returnedUnseen = bounded();
  private final LinkedBlockingDeque<Object> ready = new LinkedBlockingDeque<>();
  private final ReentrantLock running = new ReentrantLock();
  private Thread thread;

  SessionDelivery(WarrenSession session) {
    this.session = session;
  }

  private static <V> Map<String, V> bounded() {
    return new LinkedHashMap<>(16, 0.75f, false) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > REMEMBERED;
      }
    };
  }

  synchronized int deliveryCount(LinkDelivery d, String messageId) {
    Map<String, Object> headers = d.message().headers();
    if (headers != null && headers.get("x-delivery-count") instanceof Number n) {
      return n.intValue() + 1;
    }
    if (!d.redelivered()) {
      return 1;
    }
    if (messageId != null) {
      Integer seen = counts.get(messageId);
      if (seen != null) {
        return seen + 1;
      }
      if (returnedUnseen.remove(messageId) != null) {
        return 1;
      }
    }
    return 2;
  }

  synchronized void delivered(long tag, String messageId, int count) {
    unacked.add(new Delivered(tag, messageId, count));
  }

  synchronized List<Delivered> takeUnacked() {
    List<Delivered> taken = new ArrayList<>(unacked);
    unacked.clear();
    return taken;
  }

  synchronized void forget(String messageId) {
    if (messageId != null) {
      counts.remove(messageId);
      returnedUnseen.remove(messageId);
    }
  }

  synchronized void returned(String messageId, int count) {
    if (messageId != null) {
      counts.put(messageId, count);
    }
  }

  /**
   * Puts back every unacknowledged message and every prefetched one not yet handed over, in
   * delivery-tag order, so that the broker restores the queue's order.
   */
  void requeueAll() throws LinkException, jakarta.jms.JMSException {
    List<WarrenMessageConsumer> consumers = session.consumers();
    for (WarrenMessageConsumer c : consumers) {
      c.suspend();
    }
    List<Long> tags = new ArrayList<>();
    synchronized (this) {
      for (Delivered d : unacked) {
        if (d.messageId() != null) {
          counts.put(d.messageId(), d.count());
        }
        tags.add(d.tag());
      }
      unacked.clear();
      for (WarrenMessageConsumer c : session.consumers()) {
        for (LinkDelivery d : c.drainBuffer()) {
          String id = d.message().messageId();
          if (id != null && !counts.containsKey(id)) {
            returnedUnseen.put(id, Boolean.TRUE);
          }
          tags.add(d.deliveryTag());
        }
      }
    }
    tags.sort(Comparator.naturalOrder());
    for (long tag : tags) {
      session.link.nack(tag, false, true);
    }
    for (WarrenMessageConsumer c : consumers) {
      c.resume();
    }
  }

  /** Called by a consumer's buffer when a delivery for its listener arrives. */
  void ready(WarrenMessageConsumer consumer) {
    synchronized (this) {
      if (thread == null) {
        thread = new Thread(this::run, "warren-jms-session-delivery");
        thread.setDaemon(true);
        thread.start();
      }
    }
    ready.add(consumer);
  }

  void wake() {
    // Nothing to do: a stopped dispatcher waits on the connection's start condition.
  }

  boolean isDeliveryThread() {
    return Thread.currentThread() == thread;
  }

  void awaitIdle() {
    if (isDeliveryThread()) {
      return;
    }
    running.lock();
    running.unlock();
  }

  void stop() {
    if (!isDeliveryThread()) {
      awaitIdle();
    }
    ready.add(STOP);
  }

  private void run() {
    try {
      while (true) {
        Object next = ready.take();
        if (next == STOP || session.isClosed()) {
          return;
        }
        while (!session.connection.awaitStarted(System.nanoTime() + 100_000_000L)) {
          if (session.isClosed() || session.connection.isClosed()) {
            return;
          }
        }
        running.lock();
        try {
          if (!session.connection.isStarted()) {
            ready.addFirst(next);
            continue;
          }
          ((WarrenMessageConsumer) next).dispatchOne();
        } finally {
          running.unlock();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Turns a delivery into the message the application sees, or null when it is dropped (expired, or
   * the consumer's own connection published it and the consumer is noLocal).
   */
  WarrenMessage received(WarrenMessageConsumer consumer, LinkDelivery d) throws JMSException {
    try {
      if (consumer.noLocal()
          && session.connection.link().id().equals(MessageCodec.sender(d.message()))) {
        session.link.ack(d.deliveryTag(), false);
        return null;
      }
      WarrenMessage m;
      try {
        m = MessageCodec.fromAmqp(d, session.connection.trustedPackages());
      } catch (JMSException e) {
        // A body this provider cannot read would come back forever: dead-letter it instead.
        session.link.nack(d.deliveryTag(), false, false);
        throw e;
      }
      if (m.getJMSDeliveryTime() > System.currentTimeMillis()) {
        consumer.holdUntil(d, m.getJMSDeliveryTime());
        return null;
      }
      if ((m.getJMSExpiration() != 0 && m.getJMSExpiration() < System.currentTimeMillis())
          || (consumer.providerSelector() != null && !consumer.providerSelector().matches(m))) {
        // Expired, or not for this subscription: as if it had never been routed here.
        session.link.ack(d.deliveryTag(), false);
        return null;
      }
      int count = deliveryCount(d, m.getJMSMessageID());
      m.putProperty("JMSXDeliveryCount", count);
      m.setJMSRedelivered(count > 1);
      int mode = session.mode();
      boolean keep = mode == Session.CLIENT_ACKNOWLEDGE || mode == Session.SESSION_TRANSACTED;
      if (keep) {
        delivered(d.deliveryTag(), m.getJMSMessageID(), count);
      }
      m.markReceived(mode == Session.CLIENT_ACKNOWLEDGE ? session::acknowledgeAll : null);
      return m;
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot acknowledge", e);
    }
  }

  /** AUTO and DUPS_OK: acknowledges a message the application has had. */
  void autoAck(long tag, String messageId) throws JMSException {
    if (session.mode() == Session.AUTO_ACKNOWLEDGE
        || session.mode() == Session.DUPS_OK_ACKNOWLEDGE) {
      try {
        session.link.ack(tag, false);
        forget(messageId);
      } catch (LinkException e) {
        throw JmsErrors.jms("cannot acknowledge", e);
      }
    }
  }

  /** AUTO and DUPS_OK: a listener threw, so the message goes back to be delivered again. */
  void listenerFailed(long tag, String messageId, int count) {
    if (session.mode() == Session.AUTO_ACKNOWLEDGE
        || session.mode() == Session.DUPS_OK_ACKNOWLEDGE) {
      try {
        returned(messageId, count);
        session.link.nack(tag, false, true);
      } catch (LinkException ignored) {
        // the channel is gone: the broker requeues the message itself
      }
    }
  }
}
