package io.warrenmq.ra.inbound;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageListener;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.resource.spi.UnavailableException;
import jakarta.resource.spi.endpoint.MessageEndpoint;
import jakarta.resource.spi.work.Work;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Drains one transacted session into the endpoint, on a WorkManager thread, one message at a time:
 *
 * <ol>
 *   <li>receive (waking every {@value #POLL_MILLIS} ms to notice {@link #release});
 *   <li>a message already redelivered {@code maxRedeliveries} times is sent to the dead-letter
 *       queue and acknowledged in one session commit;
 *   <li>otherwise: createEndpoint, beforeDelivery (container-managed transaction), onMessage,
 *       afterDelivery, release;
 *   <li>commit the session (the acknowledgement) when onMessage returned and the container's
 *       transaction, if any, committed; else roll back, which puts the message back on its queue.
 * </ol>
 */
final class DeliveryLoop implements Work {
  private static final Logger LOG = Logger.getLogger(DeliveryLoop.class.getName());
  static final long POLL_MILLIS = 250;

  private final Activation activation;
  private final Session session;
  private final MessageConsumer consumer;
  private final boolean transacted;
  private final int maxRedeliveries;
  private final RedeliveryCounter counter;
  private final TransactionOutcome outcome = new TransactionOutcome();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean started;
  private volatile boolean released;
  private MessageProducer deadLetters;

  DeliveryLoop(
      Activation activation,
      Session session,
      MessageConsumer consumer,
      boolean transacted,
      int maxRedeliveries,
      RedeliveryCounter counter) {
    this.activation = activation;
    this.session = session;
    this.consumer = consumer;
    this.transacted = transacted;
    this.maxRedeliveries = maxRedeliveries;
    this.counter = counter;
  }

  @Override
  public void run() {
    started = true;
    try {
      while (!released) {
        Message m = consumer.receive(POLL_MILLIS);
        if (m != null) {
          deliver(m);
        }
      }
    } catch (JMSException | RuntimeException e) {
      if (!released) {
        LOG.log(
            Level.WARNING,
            "WARRENRA0020 delivery on " + activation.spec() + " stopped: " + e.getMessage(),
            e);
      }
    } finally {
      stopped.countDown();
    }
  }

  private void deliver(Message m) throws JMSException {
    if (counter.redeliveries(m) > maxRedeliveries) {
      deadLetter(m);
      return;
    }
    MessageEndpoint endpoint;
    try {
      endpoint = activation.factory().createEndpoint(transacted ? outcome : null);
    } catch (UnavailableException e) {
      LOG.log(Level.FINE, "endpoint unavailable, returning the message", e);
      session.rollback();
      return;
    }
    outcome.reset();
    boolean ok = false;
    try {
      if (transacted) {
        endpoint.beforeDelivery(Activation.ON_MESSAGE);
      }
      try {
        ((MessageListener) endpoint).onMessage(m);
        ok = true;
      } catch (RuntimeException e) {
        LOG.log(
            Level.FINE, "onMessage threw on " + activation.spec() + "; the message goes back", e);
      } finally {
        if (transacted) {
          endpoint.afterDelivery();
        }
      }
    } catch (Exception e) {
      ok = false;
      LOG.log(Level.FINE, "delivery failed on " + activation.spec(), e);
    } finally {
      endpoint.release();
    }
    if (transacted && outcome.state() == TransactionOutcome.State.ROLLED_BACK) {
      ok = false;
    }
    if (ok) {
      session.commit();
      counter.settled(m);
    } else {
      counter.failed(m);
      session.rollback();
    }
  }

  private void deadLetter(Message m) throws JMSException {
    if (deadLetters == null) {
      deadLetters =
          session.createProducer(session.createQueue(activation.spec().getDeadLetterQueue()));
    }
    deadLetters.send(m, m.getJMSDeliveryMode(), m.getJMSPriority(), 0);
    session.commit();
    counter.settled(m);
    LOG.log(
        Level.WARNING,
        "WARRENRA0021 message {0} from {1} failed {2} deliveries; moved to dead-letter queue {3}",
        new Object[] {
          m.getJMSMessageID(),
          activation.spec(),
          maxRedeliveries + 1,
          activation.spec().getDeadLetterQueue()
        });
  }

  @Override
  public void release() {
    released = true;
  }

  /** Waits until the loop has finished its delivery and returned, or the deadline passes. */
  boolean awaitStopped(long deadlineNanos) {
    if (!started) {
      return true;
    }
    try {
      return stopped.await(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
