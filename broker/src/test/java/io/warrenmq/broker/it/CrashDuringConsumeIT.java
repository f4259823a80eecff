package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kills the broker with SIGKILL while a consumer is acknowledging, then starts it again on the same
 * data directory. Acknowledgements carry no confirm, so an ack in flight at the crash may be lost
 * and its message come back; but an ack followed on its channel by a confirmed publish is durable
 * (the confirm follows a sync that covers it), a delivered message that was never acknowledged must
 * come back flagged redelivered, and no message may be lost, duplicated or reordered.
 *
 * <p>{@code -Dwarren.crash.seed=N} replays a run; {@code -Dwarren.crash.consume.iterations=N}
 * changes how many crashes there are (default 8).
 */
class CrashDuringConsumeIT {

  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final long TIMEOUT_SECONDS = 15;
  private static final int ITERATIONS = Integer.getInteger("warren.crash.consume.iterations", 8);
  private static final int MESSAGES = 1500;
  private static final int HELD_UNACKED = 10;
  private static final String QUEUE = "crash-consume";
  private static final String BARRIER = "crash-consume-barrier";

  private Path dataDir;
  private final List<BrokerProcess> processes = new ArrayList<>();

  @BeforeEach
  void createDataDir() throws Exception {
    Assumptions.assumeTrue(
        System.getProperty("warren.test.uri") == null,
        "kills WarrenMQ processes, has nothing to check against another broker");
    dataDir = Files.createTempDirectory("warren-crash-consume");
  }

  @AfterEach
  void killAndClean() throws Exception {
    for (BrokerProcess p : processes) {
      p.close();
    }
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private int start() throws Exception {
    BrokerProcess p = BrokerProcess.start(dataDir);
    processes.add(p);
    int port = p.awaitPort(STARTUP);
    assertFalse(
        p.output().contains("cannot start"), () -> "the store did not open:\n" + p.output());
    return port;
  }

  private static AMQP.BasicProperties persistent(String id) {
    return new AMQP.BasicProperties.Builder().deliveryMode(2).messageId(id).build();
  }

  @Test
  void durableAcksStayAndUnackedDeliveriesComeBackRedeliveredAfterKillMinusNine() throws Exception {
    long seed = Long.getLong("warren.crash.seed", System.nanoTime());
    System.out.println("CrashDuringConsumeIT seed: -Dwarren.crash.seed=" + seed);
    Random random = new Random(seed);
    int port = start();
    for (int iteration = 1; iteration <= ITERATIONS; iteration++) {
      String prefix = "i" + iteration + "-";
      Set<String> ackedDurably = new HashSet<>();
      Set<String> ackSent = new HashSet<>();
      List<String> heldUnacked = new ArrayList<>();
      try (Connection c = BrokerProcess.clientFactory(port).newConnection()) {
        Channel publisher = c.createChannel();
        publisher.queueDeclare(QUEUE, true, false, false, null);
        publisher.queueDeclare(BARRIER, true, false, false, null);
        publisher.confirmSelect();
        for (int n = 0; n < MESSAGES; n++) {
          publisher.basicPublish("", QUEUE, persistent(prefix + n), new byte[256]);
        }
        publisher.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));

        Channel consumer = c.createChannel();
        consumer.basicQos(100);
        consumer.confirmSelect();
        BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        consumer.basicConsume(QUEUE, false, (t, d) -> deliveries.add(d), t -> {});
        // Ack a random number, hold the next few unacked, make all that durable with a confirmed
        // publish on the same channel, then ack more with nothing to make them durable, and kill.
        int durableAcks = random.nextInt(MESSAGES - 200);
        for (int i = 0; i < durableAcks + HELD_UNACKED; i++) {
          Delivery d = deliveries.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
          assertNotNull(d, "delivery " + i + " of iteration " + iteration);
          String id = d.getProperties().getMessageId();
          if (i < durableAcks) {
            consumer.basicAck(d.getEnvelope().getDeliveryTag(), false);
            ackedDurably.add(id);
          } else {
            heldUnacked.add(id);
          }
        }
        consumer.basicPublish("", BARRIER, persistent("barrier"), new byte[0]);
        consumer.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        int inFlightAcks = random.nextInt(60);
        for (int i = 0; i < inFlightAcks; i++) {
          Delivery d = deliveries.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
          assertNotNull(d);
          consumer.basicAck(d.getEnvelope().getDeliveryTag(), false);
          ackSent.add(d.getProperties().getMessageId());
        }
        processes.get(processes.size() - 1).kill();
      } catch (com.rabbitmq.client.AlreadyClosedException | java.io.IOException expected) {
        // the kill closes the connection under the client
      }
      port = start();
      Map<String, Boolean> recovered = drain(port);
      String where = "iteration " + iteration + " (seed " + seed + "): ";
      List<String> ids = new ArrayList<>(recovered.keySet());
      int last = -1;
      for (String id : ids) {
        assertTrue(id.startsWith(prefix), () -> where + "holds " + id + " from another iteration");
        assertFalse(ackedDurably.contains(id), () -> where + id + " was acked durably, came back");
        int n = Integer.parseInt(id.substring(prefix.length()));
        assertTrue(n > last, where + id + " out of order after " + last);
        last = n;
      }
      for (int n = 0; n < MESSAGES; n++) {
        String id = prefix + n;
        if (!ackedDurably.contains(id) && !ackSent.contains(id)) {
          assertTrue(recovered.containsKey(id), () -> where + id + " was never acked and is lost");
        }
      }
      for (String id : heldUnacked) {
        assertEquals(
            Boolean.TRUE, recovered.get(id), () -> where + id + " was delivered, not redelivered");
      }
    }
  }

  /** Consumes and acks every message in the queue; returns id → redelivered, in queue order. */
  private static Map<String, Boolean> drain(int port) throws Exception {
    Map<String, Boolean> out = new LinkedHashMap<>();
    try (Connection c = BrokerProcess.clientFactory(port).newConnection()) {
      Channel ch = c.createChannel();
      ch.queuePurge(BARRIER);
      int count = ch.queueDeclarePassive(QUEUE).getMessageCount();
      BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
      ch.basicQos(500);
      String tag = ch.basicConsume(QUEUE, false, (t, d) -> deliveries.add(d), t -> {});
      for (int i = 0; i < count; i++) {
        Delivery d = deliveries.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(d, "declare-ok said " + count + ", only " + i + " delivered");
        assertFalse(
            out.containsKey(d.getProperties().getMessageId()),
            "delivered twice: " + d.getProperties().getMessageId());
        out.put(d.getProperties().getMessageId(), d.getEnvelope().isRedeliver());
        ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
      }
      ch.basicCancel(tag);
      assertEquals(0, ch.queueDeclarePassive(QUEUE).getMessageCount());
      ch.confirmSelect();
      ch.basicPublish("", BARRIER, persistent("barrier"), new byte[0]);
      ch.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      ch.queuePurge(BARRIER);
    }
    return out;
  }
}
