package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.broker.testing.ConfirmLedger;
import io.warrenmq.broker.testing.Stress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * What the concurrency stress tests share: a thread pool for their clients, the failures those
 * threads record (a channel the broker closed, a broken promise) instead of throwing, durable
 * queues deleted afterwards, and the end-of-test check that a queue is empty.
 */
abstract class StressSupport extends MessagingSupport {

  static final AMQP.BasicProperties PERSISTENT =
      new AMQP.BasicProperties.Builder().deliveryMode(2).build();

  private final ExecutorService pool = Executors.newCachedThreadPool();
  final List<String> failures = new CopyOnWriteArrayList<>();
  private final List<String> durableQueues = new ArrayList<>();

  @AfterEach
  void stopThreadsAndDeleteQueues() throws Exception {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    try (Connection c = connectionFactory().newConnection()) {
      for (String q : durableQueues) {
        c.createChannel().queueDelete(q);
      }
    }
  }

  /** A new channel whose closing by the broker (or with its connection) fails the test. */
  Channel watched(Connection connection) throws IOException {
    Channel ch = connection.createChannel();
    ch.addShutdownListener(
        (ShutdownSignalException s) -> {
          if (!s.isInitiatedByApplication()) {
            failures.add("channel " + ch.getChannelNumber() + " closed: " + s.getMessage());
          }
        });
    return ch;
  }

  /** A durable queue, deleted after the test. */
  String durableQueue(Channel ch, Map<String, Object> arguments) throws IOException {
    String q = uniqueName("stress");
    ch.queueDeclare(q, true, false, false, arguments);
    durableQueues.add(q);
    return q;
  }

  /** Runs {@code action} on a thread of the test's. */
  Future<?> background(Action action) {
    return pool.submit(
        () -> {
          action.run();
          return null;
        });
  }

  /** Waits for {@code tasks}, which end by themselves once the load phase is over. */
  static void join(List<Future<?>> tasks) throws Exception {
    for (Future<?> f : tasks) {
      f.get(Stress.SETTLE_MILLIS * 2, TimeUnit.MILLISECONDS);
    }
  }

  static String id(Delivery d) {
    return new String(d.getBody(), UTF_8);
  }

  /** Puts confirm mode on {@code ch} with a ledger that checks each confirm as it comes. */
  static ConfirmLedger confirming(Channel ch) throws IOException {
    ConfirmLedger ledger = new ConfirmLedger();
    ch.confirmSelect();
    ch.addConfirmListener(
        new ConfirmListener() {
          @Override
          public void handleAck(long seqNo, boolean multiple) {
            ledger.confirmed(seqNo, multiple, true);
          }

          @Override
          public void handleNack(long seqNo, boolean multiple) {
            ledger.confirmed(seqNo, multiple, false);
          }
        });
    return ledger;
  }

  /** The queue's ready count is zero, and in-process its unacknowledged count too. */
  void assertEmpty(String queue) throws Exception {
    Stress.settle(
        "queue " + queue + " to be empty",
        () -> {
          try {
            return readyCount(queue) == 0;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    if (!external()) {
      assertEquals(0, broker().vhosts().get("/").queue(queue).unackedCount(), "unacked");
    }
  }
}
