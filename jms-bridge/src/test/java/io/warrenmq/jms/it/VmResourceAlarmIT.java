package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.jms.WarrenConnectionFactory;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The in-VM transport honours the broker's resource alarms as network clients do: while memory is
 * over the high watermark a JMS producer waits in send, its consumers go on, and once they have
 * drained the queue the producer finishes, nothing lost. A broker of its own, with a watermark of a
 * few messages.
 */
class VmResourceAlarmIT {

  private static final int BODY_SIZE = 64 * 1024;

  private Path dataDir;
  private Broker broker;

  @BeforeEach
  void start() throws Exception {
    dataDir = Files.createTempDirectory("warren-jms-alarm");
    BrokerConfig.Limits d = BrokerConfig.Limits.defaults();
    double watermark = 4.0 * BODY_SIZE / Runtime.getRuntime().maxMemory();
    broker =
        Broker.start(
            BrokerConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withDataDir(dataDir)
                .withName("alarm-test")
                .withLimits(
                    new BrokerConfig.Limits(
                        d.frameMax(),
                        d.channelMax(),
                        d.heartbeatSeconds(),
                        d.maxMessageSize(),
                        watermark,
                        d.queueBacklogBytes())));
  }

  @AfterEach
  void stop() throws Exception {
    broker.close();
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void aProducerWaitsWhileTheMemoryAlarmIsSetAndFinishesOnceConsumersDrain() throws Exception {
    WarrenConnectionFactory factory = new WarrenConnectionFactory("vm://guest:guest@alarm-test");
    try (Connection producing = factory.createConnection();
        Connection consuming = factory.createConnection()) {
      Session session = producing.createSession();
      Queue queue = session.createQueue("alarm-work");
      MessageProducer producer = session.createProducer(queue);
      producer.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
      byte[] body = new byte[BODY_SIZE];
      body[0] = 42;
      AtomicInteger sent = new AtomicInteger();
      AtomicBoolean enough = new AtomicBoolean();
      // The broker looks at its memory periodically, as RabbitMQ does: the producer sends until
      // that look holds it.
      CompletableFuture<Void> sending =
          CompletableFuture.runAsync(
              () -> {
                try {
                  while (!enough.get()) {
                    BytesMessage m = session.createBytesMessage();
                    m.writeBytes(body);
                    producer.send(m);
                    sent.incrementAndGet();
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!broker.memoryAlarm() && !sending.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertFalse(sending.isCompletedExceptionally(), () -> "sending failed: " + sending);
      assertTrue(broker.memoryAlarm(), "the memory alarm was never set");
      Thread.sleep(300);
      int whileBlocked = sent.get();
      Thread.sleep(700);
      assertEquals(whileBlocked, sent.get(), "the producer went on sending under the alarm");
      assertFalse(sending.isDone(), "the producer stopped under the alarm");
      enough.set(true);

      consuming.start();
      MessageConsumer consumer = consuming.createSession().createConsumer(queue);
      int received = 0;
      while (!sending.isDone() || received < sent.get()) {
        BytesMessage m = (BytesMessage) consumer.receive(10_000);
        assertNotNull(m, "message " + received + " of " + sent.get() + " did not arrive");
        received++;
        byte[] got = new byte[BODY_SIZE];
        assertEquals(BODY_SIZE, m.readBytes(got));
        assertArrayEquals(body, got);
      }
      sending.get(10, TimeUnit.SECONDS);
      assertEquals(sent.get(), received, "every message sent was received");
      assertNull(consumer.receive(200), "nothing beyond what was sent");
    }
  }
}
