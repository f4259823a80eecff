package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.testing.ConfirmLedger;
import io.warrenmq.broker.testing.Stress;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The channel core under an in-VM session's threads: application threads publish, acknowledge,
 * cancel and close on one session at once while its deliveries run on one executor and its confirms
 * on another. Each test runs a load phase of {@link Stress#SECONDS} and then checks, message by
 * message, that nothing was lost, duplicated, confirmed early or delivered beyond its prefetch.
 */
class VmChannelStressIT extends LinkContractSupport {

  private final ExecutorService pool = Executors.newCachedThreadPool();

  @Override
  protected BrokerLink connect() throws LinkException {
    return vmLink();
  }

  @AfterEach
  void stopThreads() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }

  private static Queue brokerQueue(String name) {
    try {
      return broker().vhosts().get("/").queue(name);
    } catch (AmqpException e) {
      throw new AssertionError(e.text(), e);
    }
  }

  /** Runs {@code n} copies of {@code task} (given its index) on the pool and waits for them all. */
  private void runAll(int n, Task task) throws Exception {
    List<Future<?>> running = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      running.add(
          pool.submit(
              () -> {
                task.run(index);
                return null;
              }));
    }
    for (Future<?> f : running) {
      f.get(Stress.SETTLE_MILLIS + (long) (Stress.SECONDS * 1000), TimeUnit.MILLISECONDS);
    }
  }

  private interface Task {
    void run(int index) throws Exception;
  }

  @Test
  void publishesFromManyThreadsOnOneSessionAreEachConfirmedOnceAndConsumedOnce() throws Exception {
    String q = unique("stress-confirms");
    session().declareQueue(q, true, false, false, null);
    LinkSession publisher = session();
    ConfirmLedger ledger = new ConfirmLedger();
    publisher.confirmSelect(ledger::confirmed);

    Map<String, Integer> consumed = new ConcurrentHashMap<>();
    ExecutorService acker = Executors.newSingleThreadExecutor();
    LinkSession consumer = session();
    AtomicReference<Throwable> ackFailure = new AtomicReference<>();
    consumer.consume(
        q,
        64,
        false,
        null,
        d -> {
          consumed.merge(body(d), 1, Integer::sum);
          acker.execute(
              () -> {
                try {
                  consumer.ack(d.deliveryTag(), false);
                } catch (LinkException e) {
                  ackFailure.compareAndSet(null, e);
                }
              });
        });

    Map<Long, String> bodyOf = new ConcurrentHashMap<>();
    Stress load = Stress.start();
    runAll(
        4,
        t -> {
          for (int i = 0; i < Stress.cap(1000) && load.running(); i++) {
            String body = t + "-" + i;
            ledger.publishing();
            long seqNo = publisher.publish("", q, persistent(body));
            assertNull(bodyOf.put(seqNo, body), "sequence number " + seqNo + " given twice");
          }
        });

    long published = bodyOf.size();
    assertEquals(published, ledger.started());
    Stress.settle("every publish confirmed", () -> ledger.confirmedUpTo(published));
    Stress.settle("every message consumed", () -> consumed.size() >= published);
    acker.shutdown();
    assertTrue(acker.awaitTermination(10, TimeUnit.SECONDS));
    assertEquals(List.of(), ledger.problems());
    assertNull(ackFailure.get());
    for (long s = 1; s <= published; s++) {
      assertFalse(ledger.isNacked(s), "publish " + s + " nacked");
    }
    assertEquals(Set.copyOf(bodyOf.values()), consumed.keySet());
    consumed.forEach((body, n) -> assertEquals(1, n, body + " delivered " + n + " times"));
    Queue queue = brokerQueue(q);
    Stress.settle(
        "the queue to be empty", () -> queue.messageCount() == 0 && queue.unackedCount() == 0);
  }

  @Test
  void everyPersistentMessageConfirmedBeforeACrashAndNotConsumedIsRecovered() throws Exception {
    String q = unique("stress-crash");
    session().declareQueue(q, true, false, false, null);
    LinkSession publisher = session();
    ConfirmLedger ledger = new ConfirmLedger();
    publisher.confirmSelect(ledger::confirmed);

    // A consumer takes some of them, so that confirms on settlement (early ones) are in the mix;
    // what it acknowledged may be gone after the crash.
    Set<String> acked = ConcurrentHashMap.newKeySet();
    LinkSession consumer = session();
    consumer.consume(
        q,
        0,
        false,
        null,
        d -> {
          if (ThreadLocalRandom.current().nextBoolean()) {
            acked.add(body(d));
            try {
              consumer.ack(d.deliveryTag(), false);
            } catch (LinkException e) {
              // the crash below ends the session
            }
          }
        });

    // Four threads publish; while they still do, the confirms so far are noted, and the broker
    // "crashes" soon after: what those confirms covered must be on disk, unless a consumer
    // acknowledged it.
    Map<Long, String> bodyOf = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    int perThread = Stress.cap(250);
    List<Future<?>> publishers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      String prefix = t + "-";
      publishers.add(
          pool.submit(
              () -> {
                for (int i = 0; i < perThread && !stop.get(); i++) {
                  String body = prefix + i;
                  ledger.publishing();
                  bodyOf.put(publisher.publish("", q, persistent(body)), body);
                }
                return null;
              }));
    }
    Stress load = Stress.start();
    Stress.settle(
        "half of the publishes", () -> !load.running() || ledger.started() >= 2L * perThread);
    BitSet confirmedSeqNos = ledger.confirmedSeqNos();
    stop.set(true);
    for (Future<?> f : publishers) {
      f.get(Stress.SETTLE_MILLIS, TimeUnit.MILLISECONDS);
    }
    restartFromCrashImage();
    resetLink();
    assertEquals(List.of(), ledger.problems());
    Set<String> confirmed = new HashSet<>();
    confirmedSeqNos.stream().forEach(seqNo -> confirmed.add(bodyOf.get((long) seqNo)));

    Set<String> recovered = new HashSet<>();
    for (LinkDelivery d : drain(q)) {
      assertTrue(recovered.add(body(d)), body(d) + " recovered twice");
    }
    assertTrue(bodyOf.values().containsAll(recovered), "recovered a message never published");
    Set<String> lost = new HashSet<>(confirmed);
    lost.removeAll(acked);
    lost.removeAll(recovered);
    assertEquals(Set.of(), lost, "confirmed, never acknowledged, yet not recovered");
    assertTrue(confirmed.size() > 0, "nothing was confirmed");
  }

  /**
   * Consumers come and go — cancelled and consumed again, or their whole session closed — while a
   * publisher fills the queue and another thread acknowledges and rejects their deliveries: no
   * consumer ever holds more than its prefetch, every acknowledgement settles a message once, and
   * whatever was not acknowledged is back in the queue once the sessions are closed.
   */
  @Test
  void prefetchHoldsAndUnackedMessagesComeBackOnceWhileAcksRaceCancelsAndCloses() throws Exception {
    String q = queue("stress-churn");
    LinkSession publisher = session();
    Set<String> published = ConcurrentHashMap.newKeySet();
    Map<String, Integer> ackedTimes = new ConcurrentHashMap<>();
    List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService acker = Executors.newFixedThreadPool(2);
    Stress load = Stress.start();

    Future<?> publishing =
        pool.submit(
            () -> {
              for (int i = 0; i < Stress.cap(20_000) && load.running(); i++) {
                String body = "m" + i;
                publisher.publish("", q, text(body));
                published.add(body);
                // A bounded backlog: the consumers, not the queue's length, are under test.
                while (brokerQueue(q).messageCount() > 1_000 && load.running()) {
                  LockSupport.parkNanos(100_000);
                }
              }
              return null;
            });

    runAll(
        3,
        slot -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          LinkSession s = null;
          String tag = null;
          for (int round = 0; round < Stress.cap(500) && load.running(); round++) {
            if (s == null) {
              s = link().openSession();
            }
            int prefetch = 1 + random.nextInt(10);
            AtomicInteger holding = new AtomicInteger();
            LinkSession session = s;
            tag =
                s.consume(
                    q,
                    prefetch,
                    false,
                    null,
                    d -> {
                      int held = holding.incrementAndGet();
                      if (held > prefetch) {
                        violations.add(held + " deliveries held with a prefetch of " + prefetch);
                      }
                      acker.execute(() -> settle(session, d, holding, ackedTimes));
                    });
            // Let it take some deliveries, then cancel it, or close its session.
            long until = System.nanoTime() + random.nextInt(2_000_000);
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
            if (random.nextInt(3) == 0) {
              s.close();
              s = null;
            } else {
              s.cancel(tag);
            }
          }
          if (s != null) {
            s.close();
          }
        });
    publishing.get(Stress.SETTLE_MILLIS, TimeUnit.MILLISECONDS);
    acker.shutdown();
    assertTrue(acker.awaitTermination(10, TimeUnit.SECONDS));

    assertEquals(List.of(), violations);
    ackedTimes.forEach((body, n) -> assertEquals(1, n, body + " acknowledged " + n + " times"));
    Queue queue = brokerQueue(q);
    // Every session is closed: what was not acknowledged is ready again, exactly once.
    Stress.settle("the unacked messages to come back", () -> queue.unackedCount() == 0);
    assertEquals(0, queue.consumerCount());
    assertEquals(published.size() - ackedTimes.size(), queue.messageCount());
    Set<String> left = new HashSet<>();
    for (LinkDelivery d : drain(q)) {
      assertTrue(left.add(body(d)), body(d) + " is in the queue twice");
    }
    Set<String> all = new HashSet<>(left);
    all.addAll(ackedTimes.keySet());
    assertEquals(published, all);
    assertEquals(published.size(), left.size() + ackedTimes.size());
  }

  /**
   * Acknowledges most deliveries and requeues the rest; an ack the closed session refused is no
   * ack.
   */
  private static void settle(
      LinkSession s, LinkDelivery d, AtomicInteger holding, Map<String, Integer> ackedTimes) {
    holding.decrementAndGet();
    try {
      if (ThreadLocalRandom.current().nextInt(5) == 0) {
        s.nack(d.deliveryTag(), false, true);
      } else {
        s.ack(d.deliveryTag(), false);
        ackedTimes.merge(body(d), 1, Integer::sum);
      }
    } catch (LinkException e) {
      // the session was closed meanwhile: the message went back to the queue
    }
  }

  /**
   * A JMS session may be closed from any thread while another creates a consumer on it: the
   * consumer must not be left on its queue, where it would take nothing and, on an exclusive or
   * single-active-consumer queue, keep every other consumer out.
   */
  @Test
  void aConsumerAddedWhileItsSessionClosesIsNotLeftOnTheQueue() throws Exception {
    String q = queue("stress-consume-close");
    publish(q, "ready");
    Queue queue = brokerQueue(q);
    CyclicBarrier start = new CyclicBarrier(2);
    Stress load = Stress.start();
    for (int i = 0; i < Stress.cap(200) && load.running(); i++) {
      LinkSession s = session();
      Future<?> closing =
          pool.submit(
              () -> {
                start.await(5, TimeUnit.SECONDS);
                s.close();
                return null;
              });
      start.await(5, TimeUnit.SECONDS);
      try {
        s.consume(q, 1, i % 2 == 0, null, d -> {});
      } catch (LinkException e) {
        // closed first
      }
      closing.get(5, TimeUnit.SECONDS);
      Stress.settle("the closed session's consumer to leave", () -> queue.consumerCount() == 0);
    }
    Stress.settle("the message to be ready", () -> queue.messageCount() == 1);
  }

  /**
   * A transaction's commit that races its session's close (from another thread, as JMS allows)
   * either fails or delivers what the transaction published: never both nor neither.
   */
  @Test
  void aCommitRacingItsSessionsCloseFailsOrDeliversEveryPublishOfTheTransaction() throws Exception {
    String q = queue("stress-commit-close");
    Queue queue = brokerQueue(q);
    CyclicBarrier start = new CyclicBarrier(2);
    int committed = 0;
    Stress load = Stress.start();
    for (int i = 0; i < Stress.cap(200) && load.running(); i++) {
      LinkSession s = session();
      s.txSelect();
      for (int m = 0; m < 3; m++) {
        s.publish("", q, text(i + "-" + m));
      }
      Future<?> closing =
          pool.submit(
              () -> {
                start.await(5, TimeUnit.SECONDS);
                s.close();
                return null;
              });
      start.await(5, TimeUnit.SECONDS);
      try {
        s.txCommit();
        committed += 3;
      } catch (LinkException e) {
        // closed first: the transaction is gone
      }
      closing.get(5, TimeUnit.SECONDS);
      int expected = committed;
      Stress.settle(
          expected + " committed messages in the queue, as commit-ok said",
          () -> queue.messageCount() == expected);
    }
  }
}
