package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real client program (a Python script, a command-line tool) run as a child process: its stdout
 * is read line by line as it appears, so a test can wait for a "ready" line before it publishes,
 * and every wait on it is bounded. A process still running at {@link #close()} is killed.
 */
final class ClientProcess implements AutoCloseable {

  /** What a finished process printed and returned. */
  record Result(int exitCode, List<String> stdout, String stderr) {

    /** Fails unless the process exited with 0, showing what it printed. */
    Result assertSucceeded() {
      assertEquals(0, exitCode, () -> "exit code; stdout: " + stdout + "; stderr: " + stderr);
      return this;
    }
  }

  private static final String END = new String("end of stdout");

  private final List<String> command;
  private final Process process;
  private final Path stderr;
  private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
  private final List<String> lines = new ArrayList<>();
  private boolean ended;

  private ClientProcess(List<String> command, Process process, Path stderr) {
    this.command = command;
    this.process = process;
    this.stderr = stderr;
    Thread reader = new Thread(this::readStdout, "stdout of " + command.get(0));
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code command} with an empty stdin. */
  static ClientProcess start(List<String> command) throws IOException {
    return start(command, "");
  }

  /** Starts {@code command} with {@code input} as its whole stdin. */
  static ClientProcess start(List<String> command, String input) throws IOException {
    Path stderr = Files.createTempFile("client-stderr", ".txt");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(stderr.toFile());
    builder.environment().put("PYTHONUNBUFFERED", "1");
    Process process = builder.start();
    try (var stdin = process.getOutputStream()) {
      stdin.write(input.getBytes(UTF_8));
    }
    return new ClientProcess(List.copyOf(command), process, stderr);
  }

  /** Runs {@code command} to its end, killing it after {@code timeout}. */
  static Result run(List<String> command, Duration timeout) throws Exception {
    return run(command, "", timeout);
  }

  static Result run(List<String> command, String input, Duration timeout) throws Exception {
    try (ClientProcess process = start(command, input)) {
      return process.finish(timeout);
    }
  }

  private void readStdout() {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        unread.add(line);
      }
    } catch (IOException e) {
      // the process was killed; what it printed so far is kept
    } finally {
      unread.add(END);
    }
  }

  /**
   * Waits for the next line of stdout, which must be {@code expected}; lines are consumed in order,
   * and {@link Result#stdout()} still holds them all.
   */
  void awaitLine(String expected, Duration timeout) throws Exception {
    String line = nextLine(timeout);
    assertEquals(expected, line, () -> "line of " + command + " after " + lines);
  }

  private String nextLine(Duration timeout) throws Exception {
    if (ended) {
      fail(command + " ended before printing more than " + lines + "; stderr: " + stderr());
    }
    String line = unread.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (line == null) {
      fail(command + " printed no line within " + timeout + " after " + lines);
    }
    if (line == END) {
      ended = true;
      fail(command + " ended after printing " + lines + "; stderr: " + stderr());
    }
    lines.add(line);
    return line;
  }

  /** Waits for the process to end by itself within {@code timeout}, killing it if it does not. */
  Result finish(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      drain(Duration.ofSeconds(5));
      fail(
          command
              + " still running after "
              + timeout
              + "; stdout: "
              + lines
              + "; stderr: "
              + stderr());
    }
    drain(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0) + 5_000_000_000L));
    return new Result(process.exitValue(), List.copyOf(lines), stderr());
  }

  private void drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ended) {
      String line = unread.poll(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
      if (line == null) {
        return;
      }
      if (line == END) {
        ended = true;
      } else {
        lines.add(line);
      }
    }
  }

  private String stderr() {
    try {
      return Files.readString(stderr, UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    Files.deleteIfExists(stderr);
  }
}
