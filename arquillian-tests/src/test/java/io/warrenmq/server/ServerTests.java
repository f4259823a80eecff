package io.warrenmq.server;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** What the application-server tests share: ports, bounded waits, log tails. */
final class ServerTests {
  /** How long any single wait on a server may take. */
  static final Duration WAIT = Duration.ofSeconds(60);

  private ServerTests() {}

  /** Waits (polling every 100 ms) until {@code condition} holds, failing after {@link #WAIT}. */
  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what);
      }
      Thread.sleep(100);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Whether something listens on the loopback {@code port}. */
  static boolean portOpen(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (ConnectException e) {
      return false;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The last 6000 characters of a log, for failure messages. */
  static String tail(String text) {
    return text.substring(Math.max(0, text.length() - 6000));
  }
}
