package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.warrenmq.broker.testing.ConfirmLedger;
import io.warrenmq.broker.testing.Stress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Many channels on a few connections at once — publishing with confirms or in transactions,
 * consuming under global and per-consumer prefetch, acknowledging, rejecting, cancelling and coming
 * back — for {@link Stress#SECONDS} each; then every message is accounted for by id: confirmed or
 * committed publishes are each acknowledged exactly once, nothing else arrives, no channel failed,
 * and the queue is empty. The same tests run against RabbitMQ, whose behaviour they describe.
 */
class ChannelStressIT extends StressSupport {

  // ------------------------------------------------------------------ confirms

  /** Publishes ids with confirms until the load phase ends, at most 500 waiting for confirms. */
  private Future<?> confirmingPublisher(
      Channel ch, String queue, String prefix, Stress load, Set<String> confirmed) {
    return background(
        () -> {
          ConfirmLedger ledger = confirming(ch);
          Map<Long, String> idOf = new ConcurrentHashMap<>();
          for (int i = 0; i < Stress.cap(2_000) && load.running(); i++) {
            while (!ledger.confirmedUpTo(ledger.started() - 500) && load.running()) {
              LockSupport.parkNanos(100_000);
            }
            String id = prefix + "-" + i;
            idOf.put(ch.getNextPublishSeqNo(), id);
            ledger.publishing();
            ch.basicPublish("", queue, PERSISTENT, id.getBytes(UTF_8));
          }
          long published = ledger.started();
          Stress.settle(prefix + "'s confirms", () -> ledger.confirmedUpTo(published));
          failures.addAll(ledger.problems());
          idOf.forEach(
              (seqNo, id) -> {
                if (ledger.isNacked(seqNo)) {
                  failures.add("publish " + id + " nacked");
                } else {
                  confirmed.add(id);
                }
              });
        });
  }

  /** One consumer's deliveries it holds, and its channel's, never above their prefetch. */
  private final class Holding {
    final AtomicInteger channel = new AtomicInteger();
    final int channelLimit;
    final int consumerLimit;

    Holding(int channelLimit, int consumerLimit) {
      this.channelLimit = channelLimit;
      this.consumerLimit = consumerLimit;
    }

    void received(AtomicInteger consumer) {
      int c = consumer.incrementAndGet();
      int all = channel.incrementAndGet();
      if (c > consumerLimit || all > channelLimit) {
        failures.add(
            "holding " + c + "/" + consumerLimit + " on a consumer, " + all + "/" + channelLimit);
      }
    }

    void settled(AtomicInteger consumer) {
      consumer.decrementAndGet();
      channel.decrementAndGet();
    }
  }

  /**
   * A consumer that acknowledges most deliveries, and nacks or rejects the others back to the
   * queue; returns its tag.
   */
  private String randomlySettlingConsumer(
      Channel ch, String queue, Holding holding, Map<String, Integer> acked) throws IOException {
    AtomicInteger mine = new AtomicInteger();
    return ch.basicConsume(
        queue,
        false,
        (tag, d) -> {
          holding.received(mine);
          long deliveryTag = d.getEnvelope().getDeliveryTag();
          int dice = ThreadLocalRandom.current().nextInt(10);
          holding.settled(mine);
          try {
            if (dice < 7) {
              ch.basicAck(deliveryTag, false);
              acked.merge(id(d), 1, Integer::sum);
            } else if (dice < 9) {
              ch.basicNack(deliveryTag, false, true);
            } else {
              ch.basicReject(deliveryTag, true);
            }
          } catch (RuntimeException e) {
            failures.add("settling " + id(d) + ": " + e);
          }
        },
        tag -> {});
  }

  @Test
  void confirmedPublishesAreEachAckedOnceWhileConsumersRejectCancelAndComeBack() throws Exception {
    List<Connection> connections = List.of(newConnection(), newConnection(), newConnection());
    String queue = durableQueue(watched(connections.get(0)), null);
    Map<String, Integer> acked = new ConcurrentHashMap<>();
    Stress load = Stress.start();

    // Two consumer channels on each of two connections: a channel-wide prefetch of 12 shared by
    // two consumers of 5 each, which churn: cancelled and consumed again at random.
    List<Future<?>> churn = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Channel ch = watched(connections.get(i % 2));
      ch.basicQos(12, true);
      ch.basicQos(5, false);
      Holding holding = new Holding(12, 5);
      churn.add(
          background(
              () -> {
                String[] tags = {
                  randomlySettlingConsumer(ch, queue, holding, acked),
                  randomlySettlingConsumer(ch, queue, holding, acked)
                };
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int n = 0; n < Stress.cap(200) && load.running(); n++) {
                  LockSupport.parkNanos(random.nextInt(5_000_000));
                  int which = random.nextInt(2);
                  ch.basicCancel(tags[which]);
                  tags[which] = randomlySettlingConsumer(ch, queue, holding, acked);
                }
              }));
    }
    // Six publishing channels, two on each connection.
    Set<String> confirmed = ConcurrentHashMap.newKeySet();
    List<Future<?>> publishers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      publishers.add(
          confirmingPublisher(watched(connections.get(i % 3)), queue, "p" + i, load, confirmed));
    }

    join(publishers);
    join(churn);
    Stress.settle("every confirmed message acked", () -> acked.keySet().containsAll(confirmed));
    assertEmpty(queue);
    assertEquals(List.of(), failures);
    assertEquals(confirmed, acked.keySet());
    acked.forEach((id, n) -> assertEquals(1, n, id + " acked " + n + " times"));
    assertTrue(confirmed.size() > 100, "only " + confirmed.size() + " published");
  }

  // ------------------------------------------------------------------ transactions

  @Test
  void committedPublishesArriveOnceAndRolledBackOnesNeverWithTransactionalAcks() throws Exception {
    List<Connection> connections = List.of(newConnection(), newConnection());
    String queue = durableQueue(watched(connections.get(0)), null);
    Set<String> committed = ConcurrentHashMap.newKeySet();
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    Set<String> delivered = ConcurrentHashMap.newKeySet();
    Map<String, Integer> consumed = new ConcurrentHashMap<>();
    Stress load = Stress.start();
    AtomicBoolean stop = new AtomicBoolean();

    // Four transactional publishers: batches of one to five, a quarter of them rolled back.
    List<Future<?>> publishers = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      Channel ch = watched(connections.get(p % 2));
      String prefix = "t" + p;
      publishers.add(
          background(
              () -> {
                ch.txSelect();
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int batch = 0; batch < Stress.cap(300) && load.running(); batch++) {
                  List<String> ids = new ArrayList<>();
                  for (int i = random.nextInt(1, 6); i > 0; i--) {
                    String id = prefix + "-" + batch + "-" + i;
                    ids.add(id);
                    ch.basicPublish("", queue, PERSISTENT, id.getBytes(UTF_8));
                  }
                  if (random.nextInt(4) == 0) {
                    ch.txRollback();
                    rolledBack.addAll(ids);
                  } else {
                    ch.txCommit();
                    committed.addAll(ids);
                  }
                }
              }));
    }
    // Two transactional consumers: acks in batches, a quarter rolled back and sent again.
    List<Future<?>> consumers = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      Channel ch = watched(connections.get(c % 2));
      consumers.add(
          background(
              () -> {
                ch.txSelect();
                ch.basicQos(10);
                BlockingQueue<Delivery> inbox = new LinkedBlockingQueue<>();
                ch.basicConsume(
                    queue,
                    false,
                    (tag, d) -> {
                      delivered.add(id(d));
                      inbox.add(d);
                    },
                    tag -> {});
                ThreadLocalRandom random = ThreadLocalRandom.current();
                List<Delivery> held = new ArrayList<>();
                for (int n = 0; n < Stress.cap(5_000) && !stop.get(); n++) {
                  Delivery d = inbox.poll(1, TimeUnit.MILLISECONDS);
                  if (d != null) {
                    held.add(d);
                  }
                  if (held.isEmpty() || (d != null && held.size() < random.nextInt(1, 6))) {
                    continue;
                  }
                  for (Delivery h : held) {
                    ch.basicAck(h.getEnvelope().getDeliveryTag(), false);
                  }
                  if (random.nextInt(4) == 0) {
                    ch.txRollback(); // the acks are undone: they stay held, to be sent again
                  } else {
                    ch.txCommit();
                    for (Delivery h : held) {
                      consumed.merge(id(h), 1, Integer::sum);
                    }
                    held.clear();
                  }
                }
              }));
      // The consumers run on until everything committed is consumed.
    }

    join(publishers);
    Stress.settle(
        "every committed message consumed", () -> consumed.keySet().containsAll(committed));
    stop.set(true);
    join(consumers);
    assertEmpty(queue);
    assertEquals(List.of(), failures);
    assertEquals(committed, consumed.keySet());
    consumed.forEach((id, n) -> assertEquals(1, n, id + " consumed " + n + " times"));
    Set<String> leaked = new HashSet<>(rolledBack);
    leaked.retainAll(delivered);
    assertEquals(Set.of(), leaked, "rolled back, yet delivered");
    assertTrue(committed.size() > 50, "only " + committed.size() + " committed");
  }
}
