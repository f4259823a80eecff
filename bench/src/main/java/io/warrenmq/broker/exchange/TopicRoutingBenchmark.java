package io.warrenmq.broker.exchange;

import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.BasicProperties;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Topic routing through {@link TopicExchange#route} with 10, 1 000 and 100 000 bindings. Binding
 * keys have three words over vocabularies that grow with the binding count, and mix the shapes
 * people use: exact keys, {@code *} in the middle, a trailing {@code #}, a leading {@code #}.
 * Routing keys (three or four words) are drawn from the same vocabularies, so some publishes match
 * a binding or two and many none; setup prints the mean number of destinations per publish.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class TopicRoutingBenchmark {

  private static final int KEYS = 4096;

  @Param({"10", "1000", "100000"})
  public int bindings;

  private TopicExchange exchange;
  private Message[] messages;
  private final Routes routes = new Routes();
  private int next;

  private record Sink(String name) implements Destination {}

  @Setup(Level.Trial)
  public void setUp() throws AmqpException {
    exchange = new TopicExchange("bench.topic", false, false, false, null);
    // Each of the four binding shapes gets a quarter of the bindings, over vocabularies as large as
    // that quarter, so that a publish matches a few bindings whatever their number: the benchmark
    // measures finding them, not delivering to hundreds of queues.
    int regions = Math.max(2, bindings / 4);
    int services = regions;
    int events = regions;
    SplittableRandom random = new SplittableRandom(7);
    Destination[] queues = new Destination[Math.min(bindings, 10_000)];
    for (int i = 0; i < queues.length; i++) {
      queues[i] = new Sink("q" + i);
    }
    for (int i = 0; i < bindings; i++) {
      String r = "r" + random.nextInt(regions);
      String s = "s" + random.nextInt(services);
      String e = "e" + random.nextInt(events);
      String key =
          switch (i % 4) {
            case 0 -> r + "." + s + "." + e;
            case 1 -> r + ".*." + e;
            case 2 -> r + "." + s + ".#";
            default -> "#." + e;
          };
      exchange.bind(new Binding(exchange, queues[i % queues.length], key, null));
    }
    MemoryAccount account = new MemoryAccount();
    messages = new Message[KEYS];
    for (int i = 0; i < KEYS; i++) {
      String key =
          "r"
              + random.nextInt(regions)
              + ".s"
              + random.nextInt(services)
              + ".e"
              + random.nextInt(events)
              + (i % 2 == 0 ? "" : ".detail");
      messages[i] =
          Message.of("bench.topic", key, BasicProperties.EMPTY, Unpooled.EMPTY_BUFFER, account);
    }
    long total = 0;
    for (Message m : messages) {
      routes.clear();
      exchange.route(m, routes);
      total += routes.destinations().size();
    }
    System.err.printf(
        "%d bindings: %.2f destinations per publish%n", bindings, (double) total / KEYS);
  }

  /** Routes one publish; returns how many destinations it reached. */
  @Benchmark
  public int route() {
    Message m = messages[next++ & (KEYS - 1)];
    routes.clear();
    exchange.route(m, routes);
    return routes.destinations().size();
  }
}
