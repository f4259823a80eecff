package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.impl.DefaultExceptionHandler;
import com.rabbitmq.perf.PerfTest;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RabbitMQ's load generator PerfTest ({@code com.rabbitmq:perf-test}) run in-process against the
 * broker in a few scenarios: each must run its whole time without a client error, a warning logged
 * by the broker or a negative acknowledgement, and must both send and receive messages. Netty's
 * leak reports are left to the build log, as in every other test: they come when the garbage
 * collector finds a buffer, often during a later test than the one that leaked it.
 *
 * <p>Producers publish at a fixed rate (per producer) that consumers can follow even on a small
 * machine with leak detection on. At PerfTest's default unlimited rate the producers outrun the
 * in-process consumers and the queue grows for the whole run; PerfTest then ends by closing
 * connections while consumers still hold deliveries, and its consumers' acks fail on the closed
 * connection, which says nothing about the broker.
 *
 * <p>Each scenario runs {@value #DEFAULT_SECONDS} seconds so that the build stays short; the
 * issue's full minute is {@code mvn -B -pl broker verify -Dit.test=PerfTestIT -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false -Dwarren.perftest.seconds=60}.
 */
class PerfTestIT extends BrokerTestSupport {

  static final int DEFAULT_SECONDS = 15;
  private static final int SECONDS = Integer.getInteger("warren.perftest.seconds", DEFAULT_SECONDS);

  private static final Pattern SENDING_RATE = Pattern.compile("sending rate avg: (\\d+) msg/s");
  private static final Pattern RECEIVING_RATE = Pattern.compile("receiving rate avg: (\\d+) msg/s");
  private static final Pattern NACKED = Pattern.compile("nacked: (\\d+) msg/s");
  private static final Pattern CONFIRMED = Pattern.compile("confirmed: (\\d+) msg/s");

  private static ResourceLeakDetector.Level leakDetection;

  /**
   * Samples buffers for leaks instead of tracking every one: at {@code paranoid} each buffer access
   * records a stack trace, which turns a load test into a test of stack capture and, on a small
   * machine, slows consumers until PerfTest's own 3 s close timeout fails.
   */
  @BeforeAll
  static void sampleLeaks() {
    leakDetection = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.ADVANCED);
  }

  @AfterAll
  static void restoreLeakDetection() {
    ResourceLeakDetector.setLevel(leakDetection);
  }

  @Test
  void oneProducerAndOneAutoAckConsumerRunWithoutErrors() throws Exception {
    runPerfTest("--rate", "1000", "--autoack");
  }

  @Test
  void manualAcksWithPrefetchAndPublisherConfirmsRunWithoutErrors() throws Exception {
    String output = runPerfTest("--rate", "1000", "--confirm", "100", "--qos", "100");
    assertTrue(rate(CONFIRMED, output) > 0, () -> "nothing confirmed:\n" + output);
  }

  @Test
  void severalProducersAndConsumersShareOneQueueWithoutErrors() throws Exception {
    runPerfTest(
        "--producers",
        "3",
        "--rate",
        "500",
        "--consumers",
        "3",
        "--queue",
        uniqueName("perf-shared"),
        "--qos",
        "50",
        "--multi-ack-every",
        "10",
        "--size",
        "4000");
  }

  @Test
  void persistentMessagesOnADurableQueueWithConfirmsRunWithoutErrors() throws Exception {
    // with the persistent flag PerfTest declares its queue durable, so messages go to the store
    String output =
        runPerfTest(
            "--rate",
            "500",
            "--flag",
            "persistent",
            "--queue",
            uniqueName("perf-durable"),
            "--confirm",
            "50",
            "--qos",
            "100",
            "--size",
            "1000");
    assertTrue(rate(CONFIRMED, output) > 0, () -> "nothing confirmed:\n" + output);
  }

  /**
   * Runs PerfTest for {@link #SECONDS} with {@code scenario}'s options, checks that it stopped on
   * its time limit with exit status 0 and no error anywhere, and returns what it printed.
   */
  private String runPerfTest(String... scenario) throws Exception {
    List<String> arguments = new ArrayList<>();
    arguments.addAll(
        List.of(
            "--uri",
            brokerUri().toString(),
            "--time",
            Integer.toString(SECONDS),
            // an unexpected close must show as an error, not be hidden by a reconnection
            "--disable-connection-recovery"));
    arguments.addAll(Arrays.asList(scenario));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<Integer> exitStatuses = new CopyOnWriteArrayList<>();
    List<String> clientErrors = new CopyOnWriteArrayList<>();
    List<String> brokerWarnings = new CopyOnWriteArrayList<>();
    Handler warnings = warningRecorder(brokerWarnings);
    Logger root = Logger.getLogger("");
    root.addHandler(warnings);
    try (PrintStream console = new PrintStream(out, true, UTF_8);
        PrintStream errors = new PrintStream(err, true, UTF_8)) {
      PerfTest.PerfTestOptions options =
          new PerfTest.PerfTestOptions()
              .setSystemExiter(exitStatuses::add)
              .setSkipSslContextConfiguration(true)
              .setConsoleOut(console)
              .setConsoleErr(errors)
              .setExceptionHandler(
                  new DefaultExceptionHandler() {
                    @Override
                    protected void log(String message, Throwable e) {
                      // A consumer still acking after PerfTest closed its own connection at the
                      // end of the run: PerfTest's shutdown, not the broker.
                      if (e instanceof com.rabbitmq.client.ShutdownSignalException closed
                          && closed.isInitiatedByApplication()) {
                        return;
                      }
                      clientErrors.add(message + ": " + e);
                    }
                  });
      assertTimeoutPreemptively(
          Duration.ofSeconds(SECONDS + 60),
          () -> PerfTest.main(arguments.toArray(String[]::new), options),
          () -> "PerfTest still running; it printed:\n" + out.toString(UTF_8));
    } finally {
      root.removeHandler(warnings);
    }

    String output = out.toString(UTF_8);
    String errorOutput = err.toString(UTF_8);
    // the averages, for whoever reads the build log
    output.lines().filter(line -> line.contains(" avg: ")).forEach(System.out::println);
    String report =
        "PerfTest " + arguments + " printed:\n" + output + "\nand on stderr:\n" + errorOutput;
    assertTrue(output.contains("test stopped (Reached time limit)"), report);
    assertTrue(exitStatuses.stream().allMatch(status -> status == 0), exitStatuses + "; " + report);
    assertTrue(clientErrors.isEmpty(), () -> firstOf(clientErrors, "client errors") + report);
    assertTrue(brokerWarnings.isEmpty(), () -> firstOf(brokerWarnings, "broker warnings") + report);
    assertFalse(errorOutput.contains("Exception"), report);
    long sent = rate(SENDING_RATE, output);
    assertTrue(sent > 0, () -> "nothing sent; " + report);
    long received = rate(RECEIVING_RATE, output);
    assertTrue(received > 0, () -> "nothing received; " + report);
    // at a fixed rate the consumers keep up: what is sent is received, give or take the last second
    assertTrue(received >= sent * 9 / 10, () -> "consumers fell behind; " + report);
    Matcher nacked = NACKED.matcher(output);
    while (nacked.find()) {
      assertEquals("0", nacked.group(1), () -> "negative acknowledgements; " + report);
    }
    return output;
  }

  private static String firstOf(List<String> problems, String what) {
    return problems.size()
        + " "
        + what
        + ", the first: "
        + problems.subList(0, Math.min(3, problems.size()))
        + "; ";
  }

  /** The largest rate {@code pattern} finds in {@code output}, or -1 if it finds none. */
  private static long rate(Pattern pattern, String output) {
    Matcher matcher = pattern.matcher(output);
    long max = -1;
    while (matcher.find()) {
      max = Math.max(max, Long.parseLong(matcher.group(1)));
    }
    return max;
  }

  /** Records the broker's log records of level WARNING and above. */
  private static Handler warningRecorder(List<String> warnings) {
    return new Handler() {
      @Override
      public void publish(LogRecord record) {
        String logger = String.valueOf(record.getLoggerName());
        if (record.getLevel().intValue() >= Level.WARNING.intValue()
            && logger.startsWith("io.warrenmq")) {
          warnings.add(logger + ": " + record.getMessage() + " " + record.getThrown());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }
}
