package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.warrenmq.broker.testing.ConfirmLedger;
import io.warrenmq.broker.testing.Stress;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * {@code x-single-active-consumer} under load: while a publisher keeps the queue busy, the active
 * consumer's channel is closed again and again with messages unacknowledged (and more on their way
 * to it), and the next consumer in line takes over. As in RabbitMQ, each consumer sees the queue in
 * order — the messages its predecessor left come back to it first, in their places — and every
 * message is acknowledged exactly once.
 */
class SingleActiveConsumerStressIT extends StressSupport {

  /** One consumer in the line: what it was given, in order, and what it has not acked yet. */
  private final class Member {
    final Channel channel;
    final List<Integer> received = Collections.synchronizedList(new ArrayList<>());
    final List<Integer> unacked = new ArrayList<>();
    volatile boolean sweeping;

    Member(Connection connection, String queue, Map<Integer, Integer> acked) throws IOException {
      channel = watched(connection);
      channel.basicQos(40);
      channel.basicConsume(
          queue,
          false,
          (tag, d) -> {
            int id = Integer.parseInt(id(d));
            received.add(id);
            unacked.add(id);
            // Acks go out in batches of 7 (multiple), so that most of the time some wait.
            if (sweeping || unacked.size() == 7) {
              try {
                channel.basicAck(d.getEnvelope().getDeliveryTag(), true);
              } catch (RuntimeException closed) {
                return; // the test closed the channel: these go to the next in line
              }
              for (int u : unacked) {
                acked.merge(u, 1, Integer::sum);
              }
              unacked.clear();
            }
          },
          tag -> {});
    }

    /** Whether the ids it got only ever went up. */
    String disorder() {
      List<Integer> received = List.copyOf(this.received);
      for (int i = 1; i < received.size(); i++) {
        if (received.get(i) <= received.get(i - 1)) {
          return "got " + received.get(i) + " after " + received.get(i - 1) + " in " + received;
        }
      }
      return null;
    }
  }

  @Test
  void theNextInLineTakesOverInOrderWhenTheActiveConsumersChannelClosesWithUnackedMessages()
      throws Exception {
    List<Connection> connections = List.of(newConnection(), newConnection());
    Channel setup = watched(connections.get(0));
    String queue = declareQueue(setup, Map.of("x-single-active-consumer", true));
    Map<Integer, Integer> acked = new ConcurrentHashMap<>();
    Deque<Member> line = new ArrayDeque<>();
    List<Member> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      line.add(new Member(connections.get(i % 2), queue, acked));
    }
    all.addAll(line);
    Stress load = Stress.start();

    Channel publisher = watched(connections.get(1));
    ConfirmLedger ledger = confirming(publisher);
    Future<?> publishing =
        background(
            () -> {
              for (int i = 0; i < Stress.cap(5_000) && load.running(); i++) {
                while (!ledger.confirmedUpTo(ledger.started() - 200) && load.running()) {
                  LockSupport.parkNanos(100_000);
                }
                ledger.publishing();
                publisher.basicPublish("", queue, null, Integer.toString(i).getBytes(UTF_8));
              }
            });
    // The active consumer (the first in line) goes, with what it holds; a new one joins the end.
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int n = 0; n < Stress.cap(100) && load.running(); n++) {
      LockSupport.parkNanos(random.nextInt(20_000_000));
      line.removeFirst().channel.close();
      Member next = new Member(connections.get(n % 2), queue, acked);
      line.add(next);
      all.add(next);
    }
    join(List.of(publishing));
    long published = ledger.started();
    Stress.settle("the confirms", () -> ledger.confirmedUpTo(published));
    // A sweeper acks everything left; the others leave one by one, handing over what they hold.
    Member sweeper = new Member(connections.get(0), queue, acked);
    sweeper.sweeping = true;
    all.add(sweeper);
    while (!line.isEmpty()) {
      line.removeFirst().channel.close();
    }
    Stress.settle("every message acked", () -> acked.size() == published);

    assertEmpty(queue);
    assertEquals(List.of(), failures);
    assertEquals(List.of(), ledger.problems());
    for (Member m : all) {
      assertEquals(null, m.disorder());
    }
    for (int i = 0; i < published; i++) {
      assertEquals(1, acked.getOrDefault(i, 0), "message " + i + " acked");
    }
    assertTrue(published > 100, "only " + published + " published");
  }
}
