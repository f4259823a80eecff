package io.warrenmq.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * End-to-end latency at a fixed publish rate, with the tail percentiles PerfTest does not print:
 * one producer publishes {@code SIZE}-octet messages at {@code RATE} per second (a scheduled tick
 * per message, so a slow broker does not lower the offered load), one consumer on its own
 * connection takes them with auto-ack; each body starts with its send time in {@code
 * System.nanoTime()}. The first {@code WARMUP} seconds are not counted.
 *
 * <p>Usage: {@code FixedRateLatency URI RATE SIZE SECONDS WARMUP}. Prints one line: {@code sent=N
 * received=N send_rate=R receive_rate=R median_us=A p99_us=B p999_us=C}.
 */
public final class FixedRateLatency {

  private FixedRateLatency() {}

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    int rate = Integer.parseInt(args[1]);
    int size = Math.max(8, Integer.parseInt(args[2]));
    int seconds = Integer.parseInt(args[3]);
    int warmup = Integer.parseInt(args[4]);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    long[] latencies = new long[rate * (seconds + 5)];
    AtomicInteger received = new AtomicInteger();
    AtomicInteger counted = new AtomicInteger();
    long start = System.nanoTime();
    long countFrom = start + TimeUnit.SECONDS.toNanos(warmup);
    try (Connection consumerConnection = factory.newConnection("latency-consumer");
        Connection producerConnection = factory.newConnection("latency-producer")) {
      Channel consumer = consumerConnection.createChannel();
      String queue = consumer.queueDeclare().getQueue();
      consumer.basicConsume(
          queue,
          true,
          new DefaultConsumer(consumer) {
            @Override
            public void handleDelivery(
                String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
              long now = System.nanoTime();
              long sent = ByteBuffer.wrap(body).getLong();
              received.incrementAndGet();
              if (sent >= countFrom) {
                int i = counted.getAndIncrement();
                if (i < latencies.length) {
                  latencies[i] = now - sent;
                }
              }
            }
          });
      Channel producer = producerConnection.createChannel();
      byte[] body = new byte[size];
      AtomicInteger sentCount = new AtomicInteger();
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
      long total = (long) rate * seconds;
      ticker.scheduleAtFixedRate(
          () -> {
            if (sentCount.get() >= total) {
              return;
            }
            ByteBuffer.wrap(body).putLong(System.nanoTime());
            try {
              producer.basicPublish("", queue, null, body);
              sentCount.incrementAndGet();
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          },
          0,
          1_000_000_000L / rate,
          TimeUnit.NANOSECONDS);
      long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      ticker.shutdownNow();
      ticker.awaitTermination(5, TimeUnit.SECONDS);
      // Give the last messages a bounded moment to arrive.
      long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (received.get() < sentCount.get() && System.nanoTime() < drainDeadline) {
        Thread.sleep(10);
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      int n = Math.min(counted.get(), latencies.length);
      long[] sorted = Arrays.copyOf(latencies, n);
      Arrays.sort(sorted);
      System.out.printf(
          "sent=%d received=%d send_rate=%.0f receive_rate=%.0f median_us=%d p99_us=%d"
              + " p999_us=%d%n",
          sentCount.get(),
          received.get(),
          sentCount.get() / Math.min(elapsed, seconds),
          received.get() / Math.min(elapsed, seconds),
          percentile(sorted, 0.5),
          percentile(sorted, 0.99),
          percentile(sorted, 0.999));
    }
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return -1;
    }
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000;
  }
}
