package io.warrenmq.broker.store.h2;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Appending persistent messages to a durable queue in {@link H2Store} and waiting for the group
 * commit that makes them durable, as a publisher with confirms does. Each JMH thread is one
 * publisher with its own durable queue (a queue's storage is only touched under its lock); the
 * store and its commit thread are shared, so more threads means bigger commit groups.
 *
 * <p>{@code appendThenSync} waits after every message (one confirm in flight); {@code
 * appendBatchThenSync} writes {@value #BATCH} and then waits once (a window of confirms). Queues
 * are purged after each iteration so that paging does not change the picture.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class StoreAppendBenchmark {

  static final int BATCH = 100;

  @State(Scope.Benchmark)
  public static class Store {
    @Param({"1024"})
    public int bodySize;

    Path dir;
    H2Store store;
    MemoryAccount account = new MemoryAccount();
    final AtomicInteger queues = new AtomicInteger();
    byte[] body;

    @Setup(Level.Trial)
    public void open() throws IOException {
      dir = Files.createTempDirectory("warren-store-bench");
      store = H2Store.open(dir, account, H2Store.PagingLimits.defaults());
      body = new byte[bodySize];
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      store.close();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @State(Scope.Thread)
  public static class Publisher {
    QueueStorage queue;
    Store store;
    BasicProperties persistent = BasicProperties.EMPTY.withDeliveryMode(2);
    long sequence;

    @Setup(Level.Trial)
    public void declare(Store s) {
      store = s;
      queue = s.store.queueDeclared("/", "bench-" + s.queues.incrementAndGet(), true, false, null);
    }

    @TearDown(Level.Iteration)
    public void purge() {
      queue.purge();
    }

    void append() {
      Message m =
          Message.of("", "bench", persistent, Unpooled.wrappedBuffer(store.body), store.account);
      queue.add(QueueEntry.restored(sequence++, m, false));
    }

    void sync() {
      CompletableFuture<Throwable> done = new CompletableFuture<>();
      store.store.whenSynced(done::complete);
      Throwable failure = done.join();
      if (failure != null) {
        throw new IllegalStateException(failure);
      }
    }
  }

  @Benchmark
  @Threads(1)
  public void appendThenSync(Publisher p) {
    p.append();
    p.sync();
  }

  @Benchmark
  @Threads(4)
  public void appendThenSync4Publishers(Publisher p) {
    p.append();
    p.sync();
  }

  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(BATCH)
  public void appendBatchThenSync(Publisher p) {
    for (int i = 0; i < BATCH; i++) {
      p.append();
    }
    p.sync();
  }
}
