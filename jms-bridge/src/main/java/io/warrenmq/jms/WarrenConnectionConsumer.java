package io.warrenmq.jms;

import io.warrenmq.jms.message.WarrenMessage;
import jakarta.jms.ConnectionConsumer;
import jakarta.jms.JMSException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.ServerSession;
import jakarta.jms.ServerSessionPool;
import jakarta.jms.Session;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A connection consumer (Jakarta Messaging §8.2, application server facilities): messages of one
 * destination or subscription are handed, one at a time, to server sessions taken from the
 * application server's pool, each of which runs its session's distinguished listener.
 *
 * <p>The messages are consumed by a session of this provider's own, which holds each one
 * unacknowledged until the server session has processed it: acknowledged when the listener returns
 * (or, in a transacted or CLIENT_ACKNOWLEDGE server session, when it commits or acknowledges), sent
 * back to be redelivered when it throws, rolls back, recovers or closes. The pool's size bounds the
 * work in progress: while every server session is busy, {@link ServerSessionPool#getServerSession}
 * waits, and so does delivery. {@link #close} stops delivery, then waits a little for the server
 * sessions to settle what they were given; what they have not settled by then goes back to the
 * queue when they do, or when they close.
 */
final class WarrenConnectionConsumer implements ConnectionConsumer {
  private static final Logger LOG = Logger.getLogger(WarrenConnectionConsumer.class.getName());

  /** Opens the consumer on the source session: a queue consumer or a subscription. */
  @FunctionalInterface
  interface Opener {
    MessageConsumer open(Session source) throws JMSException;
  }

  private static final long CLOSE_WAIT_MILLIS = 5_000;

  private final ServerSessionPool pool;
  private final Session source;
  private MessageConsumer consumer;

  /** Messages handed to server sessions and not yet settled; the monitor is this object. */
  private int inFlight;

  private WarrenConnectionConsumer(ServerSessionPool pool, Session source) {
    this.pool = pool;
    this.source = source;
  }

  static ConnectionConsumer open(
      WarrenConnection connection, ServerSessionPool pool, int maxMessages, Opener opener)
      throws JMSException {
    connection.checkOpen();
    if (pool == null) {
      throw new JMSException("a connection consumer needs a ServerSessionPool, not null");
    }
    if (maxMessages < 1) {
      throw new JMSException("maxMessages must be at least 1, not " + maxMessages);
    }
    Session source = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    WarrenConnectionConsumer cc = new WarrenConnectionConsumer(pool, source);
    try {
      cc.consumer = opener.open(source);
      cc.consumer.setMessageListener((SessionDelivery.DeferredListener) cc::handOver);
    } catch (JMSException | RuntimeException e) {
      source.close();
      throw e;
    }
    return cc;
  }

  /** On the source session's delivery thread: waits for a server session and starts it. */
  private void handOver(WarrenMessage message, SessionDelivery.Outcome settled) {
    SessionDelivery.Outcome outcome = track(settled);
    try {
      ServerSession server = pool.getServerSession();
      if (!(server.getSession() instanceof WarrenSession session)) {
        LOG.log(
            Level.WARNING,
            "the server session pool gave a session of another provider ({0}); the message goes"
                + " back to its queue",
            server.getSession().getClass().getName());
        outcome.settle(false);
        return;
      }
      session.load(message, outcome);
      server.start();
    } catch (JMSException | RuntimeException e) {
      LOG.log(
          Level.WARNING, "cannot start a server session; the message goes back to its queue", e);
      outcome.settle(false);
    }
  }

  /** Counts the message in flight until its outcome is settled, once. */
  private SessionDelivery.Outcome track(SessionDelivery.Outcome outcome) {
    synchronized (this) {
      inFlight++;
    }
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    return processed -> {
      if (done.compareAndSet(false, true)) {
        try {
          outcome.settle(processed);
        } finally {
          synchronized (this) {
            if (--inFlight == 0) {
              notifyAll();
            }
          }
        }
      }
    };
  }

  @Override
  public ServerSessionPool getServerSessionPool() throws JMSException {
    return pool;
  }

  @Override
  public void close() throws JMSException {
    consumer.close();
    long deadline = System.nanoTime() + CLOSE_WAIT_MILLIS * 1_000_000;
    synchronized (this) {
      long left;
      while (inFlight > 0 && (left = deadline - System.nanoTime()) > 0) {
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    source.close();
  }
}
