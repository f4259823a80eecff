package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.rabbitmq.client.ConnectionFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A WarrenMQ broker in a JVM of its own, started through {@code Main} with the test's class path,
 * for tests that kill it with SIGKILL or expect it to refuse to start. Its standard output and
 * error are read into {@link #output()} by a daemon thread, so that a failing test can show them.
 *
 * <p>Always {@link #close()} it (try-with-resources or a finally block): that kills a process still
 * running, so no broker outlives its test.
 */
final class BrokerProcess implements AutoCloseable {

  /** Main's startup line; the port is the one the broker bound, since tests pass port 0. */
  private static final Pattern LISTENING =
      Pattern.compile("WarrenMQ listening for AMQP 0-9-1 on 127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final StringBuffer output = new StringBuffer();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final Thread reader;

  private BrokerProcess(Process process) {
    this.process = process;
    this.reader = new Thread(this::readOutput, "broker-process-output-" + process.pid());
    this.reader.setDaemon(true);
    this.reader.start();
  }

  /**
   * Starts {@code Main --host 127.0.0.1 --port 0 --data-dir dataDir} in a new JVM with a 256 MB
   * heap.
   */
  static BrokerProcess start(Path dataDir) throws IOException {
    return start(dataDir, "256m");
  }

  /**
   * Starts {@code Main} as {@link #start(Path)} does, with a heap of {@code maxHeap} ({@code
   * -Xmx}).
   */
  static BrokerProcess start(Path dataDir, String maxHeap) throws IOException {
    return start(dataDir, maxHeap, List.of());
  }

  /** Starts {@code Main} as {@link #start(Path, String)} does, with more flags. */
  static BrokerProcess start(Path dataDir, String maxHeap, List<String> flags) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new java.util.ArrayList<>();
    command.addAll(
        List.of(
            java,
            "-Xmx" + maxHeap,
            // C1 only: the broker runs for seconds, so a quick start matters more than peak speed
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            "io.warrenmq.broker.Main",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            dataDir.toAbsolutePath().toString()));
    command.addAll(flags);
    return new BrokerProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /**
   * A client factory for a broker process on {@code port}: no automatic recovery (a killed broker
   * must show as a dead connection) and short, bounded waits.
   */
  static ConnectionFactory clientFactory(int port) {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(port);
    factory.setAutomaticRecoveryEnabled(false);
    factory.setConnectionTimeout(5000);
    factory.setHandshakeTimeout(5000);
    factory.setChannelRpcTimeout(10_000);
    return factory;
  }

  private void readOutput() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        output.append(line).append('\n');
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(1)));
        }
      }
    } catch (IOException e) {
      output.append("[reading the broker's output failed: ").append(e).append("]\n");
    } finally {
      port.completeExceptionally(
          new IllegalStateException("the broker's output ended before its startup line"));
    }
  }

  /**
   * Waits for the startup line and returns the port it names.
   *
   * @throws AssertionError with the broker's output when it exits first or takes too long
   */
  int awaitPort(Duration timeout) throws InterruptedException {
    try {
      return port.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError(
          "no startup line within " + timeout + " (" + e + "); broker output:\n" + output(), e);
    }
  }

  /**
   * Waits for the process to exit by itself and returns its exit code.
   *
   * @throws AssertionError with the broker's output when it still runs after {@code timeout}
   */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          "the broker did not exit within " + timeout + "; broker output:\n" + output());
    }
    // the exit closes the pipe: let the reader take the last lines
    reader.join(TimeUnit.SECONDS.toMillis(5));
    return process.exitValue();
  }

  /** SIGTERM, as a service manager stops it: the broker's shutdown hook runs. */
  void terminate() {
    process.destroy();
  }

  /** SIGKILL, as a crash or an OOM killer would: no shutdown hook, no final commit. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("the broker (pid " + process.pid() + ") survived SIGKILL for 10 s");
    }
    reader.join(TimeUnit.SECONDS.toMillis(5));
  }

  long pid() {
    return process.pid();
  }

  /** Everything the process wrote so far, standard error included. */
  String output() {
    return output.toString();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
