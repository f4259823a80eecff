package io.warrenmq.bench;

import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.jms.WarrenConnectionFactory;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JMS send and receive throughput through the provider's two transports against one broker in this
 * JVM: in-VM ({@code vm://default}, no sockets) and the network ({@code amqp://} on loopback). One
 * connection, one producer session and one consumer session with a MessageListener
 * (AUTO_ACKNOWLEDGE); {@code MESSAGES} {@code SIZE}-octet BytesMessages non-persistent, then a
 * tenth as many persistent ones (durable queue; each synchronous send waits for its publisher
 * confirm, as JMS requires). The clock runs from the first send to the last receipt.
 *
 * <p>Usage: {@code JmsThroughput MESSAGES SIZE}. Prints a markdown table.
 */
public final class JmsThroughput {

  private JmsThroughput() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    Path dir = Files.createTempDirectory("warren-jms-bench");
    try (Broker broker =
        Broker.start(BrokerConfig.defaults().withHost("127.0.0.1").withPort(0).withDataDir(dir))) {
      String network = "amqp://guest:guest@127.0.0.1:" + broker.port();
      String[][] runs = {
        {"in-VM", "vm://default"}, {"network", network},
      };
      // one warm-up pass per transport, not reported
      for (String[] run : runs) {
        measure(run[1], messages / 4, size, DeliveryMode.NON_PERSISTENT, "warmup");
      }
      System.out.println(
          "| transport | delivery mode | messages | size | msg/s (send to last receipt) |");
      System.out.println("| --- | --- | ---: | ---: | ---: |");
      for (int mode : new int[] {DeliveryMode.NON_PERSISTENT, DeliveryMode.PERSISTENT}) {
        for (String[] run : runs) {
          int count = mode == DeliveryMode.PERSISTENT ? messages / 10 : messages;
          double rate = measure(run[1], count, size, mode, run[0]);
          System.out.printf(
              "| %s | %s | %d | %d | %.0f |%n",
              run[0],
              mode == DeliveryMode.PERSISTENT ? "persistent" : "non-persistent",
              count,
              size,
              rate);
        }
      }
    }
  }

  private static double measure(String uri, int messages, int size, int mode, String label)
      throws Exception {
    WarrenConnectionFactory factory = new WarrenConnectionFactory(uri);
    try (Connection connection = factory.createConnection()) {
      Session producerSession = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Session consumerSession = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Queue queue = producerSession.createQueue("jms-bench-" + label + "-" + mode);
      CountDownLatch done = new CountDownLatch(1);
      AtomicInteger received = new AtomicInteger();
      consumerSession
          .createConsumer(queue)
          .setMessageListener(
              m -> {
                if (received.incrementAndGet() == messages) {
                  done.countDown();
                }
              });
      connection.start();
      MessageProducer producer = producerSession.createProducer(queue);
      producer.setDeliveryMode(mode);
      byte[] body = new byte[size];
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        BytesMessage m = producerSession.createBytesMessage();
        m.writeBytes(body);
        producer.send(m);
      }
      if (!done.await(300, TimeUnit.SECONDS)) {
        throw new IllegalStateException(label + ": received only " + received.get());
      }
      return messages / ((System.nanoTime() - start) / 1e9);
    }
  }
}
