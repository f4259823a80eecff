package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A backlog far larger than the broker's heap: a child broker with a 256 MB heap takes 400 MB of 1
 * KB messages into one queue and gives them all back in order. Without paging to the store it would
 * run out of memory; with it, the heap holds only each queue's head.
 *
 * <p>The soak run of the durability issue — 5 million 1 KB messages through a 512 MB heap — is this
 * test with {@code -Dwarren.backlog.messages=5000000 -Dwarren.backlog.heap=512m}.
 */
class BacklogIT {

  private static final int MESSAGES = Integer.getInteger("warren.backlog.messages", 400_000);
  private static final String HEAP = System.getProperty("warren.backlog.heap", "256m");
  private static final int BODY = 1024;

  private BrokerProcess broker;
  private Path dataDir;

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void aBacklogLargerThanTheHeapIsPagedOutAndDrainedInOrder() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    dataDir = Files.createTempDirectory("warren-backlog");
    broker = BrokerProcess.start(dataDir, HEAP);
    factory.setPort(broker.awaitPort(Duration.ofSeconds(30)));
    factory.setAutomaticRecoveryEnabled(false);
    try (Connection connection = factory.newConnection()) {
      Channel ch = connection.createChannel();
      String queue = ch.queueDeclare("backlog", false, false, false, null).getQueue();
      ch.confirmSelect();
      byte[] body = new byte[BODY];
      long start = System.nanoTime();
      for (int i = 0; i < MESSAGES; i++) {
        ByteBuffer.wrap(body).putInt(0, i);
        ch.basicPublish("", queue, null, body);
        if (i % 2000 == 1999) {
          ch.waitForConfirmsOrDie(60_000);
        }
      }
      ch.waitForConfirmsOrDie(60_000);
      long published = System.nanoTime();
      System.out.printf(
          "BacklogIT: %d messages published in %.1f s%n", MESSAGES, (published - start) / 1e9);
      assertEquals(MESSAGES, ch.queueDeclarePassive(queue).getMessageCount());

      AtomicInteger next = new AtomicInteger();
      AtomicInteger outOfOrder = new AtomicInteger(-1);
      CountDownLatch drained = new CountDownLatch(1);
      Channel consumer = connection.createChannel();
      consumer.basicQos(1000);
      consumer.basicConsume(
          queue,
          false,
          (tag, d) -> {
            int expected = next.getAndIncrement();
            if (ByteBuffer.wrap(d.getBody()).getInt(0) != expected) {
              outOfOrder.compareAndSet(-1, expected);
            }
            if (expected % 100 == 99 || expected == MESSAGES - 1) {
              consumer.basicAck(d.getEnvelope().getDeliveryTag(), true);
            }
            if (expected == MESSAGES - 1) {
              drained.countDown();
            }
          },
          tag -> {});
      assertTrue(
          drained.await(Math.max(180, MESSAGES / 2000), TimeUnit.SECONDS),
          "drained only " + next.get());
      System.out.printf("BacklogIT: drained in %.1f s%n", (System.nanoTime() - published) / 1e9);
      assertEquals(-1, outOfOrder.get(), "first message out of order");
      assertEquals(0, ch.queueDeclarePassive(queue).getMessageCount());
    }
    assertFalse(broker.output().contains("OutOfMemoryError"), broker.output());
  }
}
