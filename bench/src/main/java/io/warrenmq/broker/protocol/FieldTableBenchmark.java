package io.warrenmq.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The field table codec on a table shaped like real message headers: a handful of strings and
 * numbers, a timestamp, an array and a nested table (the {@code x-death} shape).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class FieldTableBenchmark {

  private Map<String, Object> table;
  private ByteBuf encoded;
  private ByteBuf scratch;

  @Setup(Level.Trial)
  public void setUp() {
    Map<String, Object> death = new LinkedHashMap<>();
    death.put("count", 1L);
    death.put("reason", "rejected");
    death.put("queue", "orders");
    death.put("time", java.time.Instant.ofEpochSecond(1_700_000_000L));
    death.put("exchange", "");
    death.put("routing-keys", List.of("orders"));
    table = new LinkedHashMap<>();
    table.put("content-kind", "order-created");
    table.put("tenant", "acme");
    table.put("attempt", 3);
    table.put("priority-hint", (byte) 2);
    table.put("sent-at", java.time.Instant.ofEpochSecond(1_700_000_000L));
    table.put("trace-id", "4bf92f3577b34da6a3ce929d0e0e4736");
    table.put("flag", true);
    table.put("amount", 1234.5d);
    table.put("x-death", List.of(death));
    encoded = PooledByteBufAllocator.DEFAULT.buffer(512);
    FieldTable.write(encoded, table);
    scratch = PooledByteBufAllocator.DEFAULT.buffer(512);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    encoded.release();
    scratch.release();
  }

  @Benchmark
  public Map<String, Object> read() {
    return FieldTable.read(encoded.duplicate());
  }

  @Benchmark
  public int write() {
    scratch.clear();
    FieldTable.write(scratch, table);
    return scratch.writerIndex();
  }
}
