package io.warrenmq.jms;

import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.message.MessageCodec;
import io.warrenmq.jms.message.WarrenMessage;
import jakarta.jms.CompletionListener;
import jakarta.jms.DeliveryMode;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Queue;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Sending for a session: sets the JMS headers a send sets (§3.4), publishes, and for sends with a
 * {@link CompletionListener} turns on publisher confirms on the channel and calls the listener when
 * the broker confirms (or nacks) the message. Listeners run one at a time on a thread of the
 * session's, in send order (§7.3.8). A transacted channel cannot use confirms (AMQP forbids both on
 * one channel): there the listener hears of the send as soon as it has been handed to the broker.
 */
final class SessionPublisher {
  private record Pending(Message message, CompletionListener listener) {}

  private final WarrenSession session;
  private final ConcurrentSkipListMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
  private final Object publishLock = new Object();
  private ExecutorService callbacks;
  private volatile Thread callbackThread;
  private boolean confirming;

  SessionPublisher(WarrenSession session) {
    this.session = session;
  }

  static void checkDeliveryDelay(long delay) throws JMSException {
    if (delay < 0) {
      throw new JMSException("a delivery delay cannot be negative: " + delay);
    }
  }

  /** Checks a producer's destination once, when the producer is created. */
  void prepare(WarrenDestination d) throws JMSException {
    if (d instanceof WarrenTemporaryTopic t && t.isDeleted()) {
      throw new InvalidDestinationException("the temporary topic was deleted");
    }
    if (d instanceof Queue q) {
      session.connection.ensureQueue(q.getQueueName());
    } else {
      session.connection.ensureExchange(d.exchange());
    }
  }

  void send(
      WarrenDestination d,
      Message message,
      WarrenMessageProducer.Options o,
      CompletionListener completion)
      throws JMSException {
    checkDeliveryDelay(o.deliveryDelay());
    if (completion != null) {
      checkNotInCallback("send");
    }
    prepare(d);
    long now = System.currentTimeMillis();
    message.setJMSDestination(d);
    message.setJMSDeliveryMode(o.deliveryMode());
    message.setJMSPriority(o.priority());
    message.setJMSTimestamp(o.disableTimestamp() ? 0 : now);
    message.setJMSExpiration(o.timeToLive() > 0 ? now + o.timeToLive() : 0);
    message.setJMSDeliveryTime(now + o.deliveryDelay());
    message.setJMSMessageID(o.disableMessageId() ? null : "ID:" + UUID.randomUUID());
    WarrenMessage m = ForeignMessages.toWarren(message);
    AmqpMessage amqp = MessageCodec.toAmqp(m, d, session.connection.link().id());
    try {
      if (completion == null
          && o.deliveryMode() == DeliveryMode.PERSISTENT
          && session.mode() != jakarta.jms.Session.SESSION_TRANSACTED) {
        // §7.2: a synchronous send of a persistent message returns only once the provider has it
        // safely — here, once the broker has confirmed it (stored, or already consumed).
        SyncSend waiter = new SyncSend();
        synchronized (publishLock) {
          if (!confirming) {
            session.link.confirmSelect(this::confirmed);
            confirming = true;
          }
          long seqNo = session.link.publish(d.exchange(), d.routingKey(), amqp);
          pending.put(seqNo, new Pending(message, waiter));
        }
        waiter.await(d);
      } else if (completion == null) {
        session.link.publish(d.exchange(), d.routingKey(), amqp);
      } else if (session.mode() == jakarta.jms.Session.SESSION_TRANSACTED) {
        session.link.publish(d.exchange(), d.routingKey(), amqp);
        callbacks().execute(() -> complete(new Pending(message, completion), true));
      } else {
        synchronized (publishLock) {
          if (!confirming) {
            session.link.confirmSelect(this::confirmed);
            confirming = true;
          }
          long seqNo = session.link.publish(d.exchange(), d.routingKey(), amqp);
          pending.put(seqNo, new Pending(message, completion));
        }
      }
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot send to " + d, e);
    }
  }

  private void confirmed(long seqNo, boolean multiple, boolean ack) {
    synchronized (publishLock) {
      Map<Long, Pending> done =
          multiple ? pending.headMap(seqNo, true) : pending.subMap(seqNo, true, seqNo, true);
      for (Map.Entry<Long, Pending> e : done.entrySet()) {
        Pending p = e.getValue();
        if (p.listener() instanceof SyncSend waiter) {
          waiter.done(ack);
        } else {
          callbacks().execute(() -> complete(p, ack));
        }
      }
      done.clear();
      publishLock.notifyAll();
    }
  }

  /** A synchronous send waiting for its confirm; never called back as a listener. */
  private final class SyncSend implements CompletionListener {
    private final java.util.concurrent.CountDownLatch latch =
        new java.util.concurrent.CountDownLatch(1);
    private volatile boolean acked;

    void done(boolean ack) {
      acked = ack;
      latch.countDown();
    }

    void await(WarrenDestination d) throws JMSException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      try {
        while (!latch.await(100, TimeUnit.MILLISECONDS)) {
          if (!session.link.isOpen()) {
            throw new JMSException(
                "the connection closed before the broker confirmed the send to " + d);
          }
          if (System.nanoTime() > deadline) {
            throw new JMSException("the broker did not confirm the send to " + d + " within 60 s");
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JMSException("interrupted while waiting for the broker to confirm the send");
      }
      if (!acked) {
        throw new JMSException("the broker refused the message sent to " + d);
      }
    }

    @Override
    public void onCompletion(Message message) {}

    @Override
    public void onException(Message message, Exception exception) {}
  }

  private void complete(Pending p, boolean ack) {
    callbackThread = Thread.currentThread();
    try {
      if (ack) {
        p.listener().onCompletion(p.message());
      } else {
        p.listener().onException(p.message(), new JMSException("the broker refused the message"));
      }
    } catch (RuntimeException ignored) {
      // a listener's failure is its own
    }
  }

  private synchronized ExecutorService callbacks() {
    if (callbacks == null) {
      callbacks =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "warren-jms-completion");
                t.setDaemon(true);
                return t;
              });
    }
    return callbacks;
  }

  /** §7.3.8: a CompletionListener must not close, commit or roll back its own session. */
  void checkNotInCallback(String what) throws IllegalStateException {
    if (callbackThread != null && Thread.currentThread() == callbackThread) {
      throw new IllegalStateException("a CompletionListener must not " + what + " its session");
    }
  }

  /** Waits (bounded) for outstanding confirms before the session closes (§7.3.8). */
  void awaitCompletions() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    synchronized (publishLock) {
      while (!pending.isEmpty() && session.link.isOpen()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          publishLock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    ExecutorService c;
    synchronized (this) {
      c = callbacks;
      callbacks = null;
    }
    if (c != null) {
      c.shutdown();
      try {
        c.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
