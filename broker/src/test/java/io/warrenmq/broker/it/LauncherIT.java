package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone launcher in a process of its own: it prints the address it listens on, and SIGTERM
 * closes every connection with 320 CONNECTION_FORCED, as RabbitMQ does on shutdown, before the
 * process exits with 0.
 */
class LauncherIT {

  private static final Duration STARTUP = Duration.ofSeconds(30);

  @TempDir Path dataDir;

  @Test
  void sigtermClosesConnectionsWith320AndExitsWithZero() throws Exception {
    try (BrokerProcess broker = BrokerProcess.start(dataDir)) {
      int port = broker.awaitPort(STARTUP);
      ConnectionFactory factory = new ConnectionFactory();
      factory.setHost("127.0.0.1");
      factory.setPort(port);
      factory.setAutomaticRecoveryEnabled(false);
      factory.setConnectionTimeout(5000);
      Connection connection = factory.newConnection();
      CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
      connection.addShutdownListener(closed::complete);
      assertNotNull(connection.createChannel().queueDeclare());

      broker.terminate();

      ShutdownSignalException signal = closed.get(10, TimeUnit.SECONDS);
      assertFalse(signal.isInitiatedByApplication(), "the broker closed the connection");
      AMQP.Connection.Close close =
          assertInstanceOf(AMQP.Connection.Close.class, signal.getReason(), broker.output());
      assertEquals(320, close.getReplyCode());
      assertEquals(
          "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'",
          close.getReplyText());
      assertEquals(0, broker.awaitExit(Duration.ofSeconds(10)), broker.output());
    }
  }

  @Test
  void helpListsTheListenerAndDataDirectoryOptions() throws Exception {
    String help = runToExit(List.of("--help"), 0);
    for (String option : List.of("--host", "--port", "--data-dir")) {
      assertTrue(help.contains(option), () -> option + " missing from:\n" + help);
    }
  }

  @Test
  void aTakenPortStopsTheLauncherWithExitCodeTwoNamingTheAddress() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      String port = Integer.toString(taken.getLocalPort());
      String output =
          runToExit(
              List.of("--host", "127.0.0.1", "--port", port, "--data-dir", dataDir.toString()), 2);
      assertTrue(output.contains("cannot listen on 127.0.0.1:" + port), output);
    }
  }

  /** Runs the packaged launcher with {@code args} and returns its output once it exits. */
  private static String runToExit(List<String> args, int expectedExit) throws Exception {
    Path jar = Path.of("target", "warren-broker.jar");
    assertTrue(Files.isRegularFile(jar), "the packaged broker " + jar + " (mvn package builds it)");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new java.util.ArrayList<>(List.of(java, "-jar", jar.toString()));
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(process.getInputStream().readAllBytes(), UTF_8);
              } catch (IOException e) {
                return "[reading the output failed: " + e + "]";
              }
            });
    try {
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), args + " did not exit within 30 s");
      String text = output.get(5, TimeUnit.SECONDS);
      assertEquals(expectedExit, process.exitValue(), text);
      return text;
    } finally {
      process.destroyForcibly();
    }
  }
}
