package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A backlog far larger than the broker's heap: a child broker with a 256 MB heap takes 400 MB of 1
 * KB messages into one queue and gives them all back in order. Without paging to the store it would
 * run out of memory; with it, the heap holds only each queue's head.
 */
class BacklogIT {

  private static final int MESSAGES = 400_000;
  private static final int BODY = 1024;
  private static final Pattern LISTENING =
      Pattern.compile("WarrenMQ listening for AMQP 0-9-1 on 127\\.0\\.0\\.1:(\\d+)");

  private Process broker;
  private final StringBuffer output = new StringBuffer();
  private Path dataDir;

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private int startBroker() throws Exception {
    dataDir = Files.createTempDirectory("warren-backlog");
    broker =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "io.warrenmq.broker.Main",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                dataDir.toString())
            .redirectErrorStream(true)
            .start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.append(line).append('\n');
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                  }
                }
              } catch (Exception e) {
                port.completeExceptionally(e);
              }
            });
    reader.setDaemon(true);
    reader.start();
    return port.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aBacklogLargerThanTheHeapIsPagedOutAndDrainedInOrder() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(startBroker());
    factory.setAutomaticRecoveryEnabled(false);
    try (Connection connection = factory.newConnection()) {
      Channel ch = connection.createChannel();
      String queue = ch.queueDeclare("backlog", false, false, false, null).getQueue();
      ch.confirmSelect();
      byte[] body = new byte[BODY];
      for (int i = 0; i < MESSAGES; i++) {
        ByteBuffer.wrap(body).putInt(0, i);
        ch.basicPublish("", queue, null, body);
        if (i % 2000 == 1999) {
          ch.waitForConfirmsOrDie(60_000);
        }
      }
      ch.waitForConfirmsOrDie(60_000);
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
      assertTrue(drained.await(180, TimeUnit.SECONDS), "drained only " + next.get());
      assertEquals(-1, outOfOrder.get(), "first message out of order");
      assertEquals(0, ch.queueDeclarePassive(queue).getMessageCount());
    }
    assertTrue(broker.isAlive(), "the broker died:\n" + output);
    assertFalse(output.toString().contains("OutOfMemoryError"), output.toString());
  }
}
