package io.warrenmq.broker.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.warrenmq.broker.protocol.BasicProperties;
import java.time.Instant;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What checking a published message's properties costs: the validating walk the publish path runs
 * ({@link EncodedProperties#scan}) against decoding them ({@link BasicProperties#decode}), on
 * properties as a typical client sends them ({@code plain}: content type, delivery mode, message
 * id, timestamp) and with a header table shaped like real ones ({@code headers}: strings, numbers,
 * a timestamp, an array of a nested table — the {@code x-death} shape).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class PropertiesCheckBenchmark {

  @Param({"plain", "headers"})
  public String shape;

  private ByteBuf encoded;

  @Setup(Level.Trial)
  public void setUp() {
    BasicProperties p =
        BasicProperties.EMPTY
            .withContentType("application/json")
            .withDeliveryMode(2)
            .withMessageId("4bf92f3577b34da6a3ce929d0e0e4736")
            .withTimestamp(1_700_000_000L);
    if (shape.equals("headers")) {
      Map<String, Object> death = new LinkedHashMap<>();
      death.put("count", 1L);
      death.put("reason", "rejected");
      death.put("queue", "orders");
      death.put("time", Instant.ofEpochSecond(1_700_000_000L));
      death.put("exchange", "");
      death.put("routing-keys", List.of("orders"));
      Map<String, Object> headers = new LinkedHashMap<>();
      headers.put("content-kind", "order-created");
      headers.put("tenant", "acme");
      headers.put("attempt", 3);
      headers.put("sent-at", Instant.ofEpochSecond(1_700_000_000L));
      headers.put("trace-id", "4bf92f3577b34da6a3ce929d0e0e4736");
      headers.put("flag", true);
      headers.put("x-death", List.of(death));
      p = p.withHeaders(headers);
    }
    encoded = PooledByteBufAllocator.DEFAULT.buffer(512);
    p.encode(encoded);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    encoded.release();
  }

  @Benchmark
  public int walk() {
    return EncodedProperties.scan(encoded);
  }

  @Benchmark
  public BasicProperties decode() {
    return BasicProperties.decode(encoded.duplicate());
  }
}
