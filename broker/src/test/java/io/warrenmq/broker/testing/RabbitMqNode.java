package io.warrenmq.broker.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private RabbitMQ node for comparison runs: Debian's {@code rabbitmq-server} started on free
 * loopback ports with its own data, log and configuration in a temporary directory, once per JVM,
 * and stopped when the JVM exits. The tests that describe RabbitMQ's behaviour run against it when
 * {@code -Dwarren.test.uri=rabbitmq}, and are skipped with a message when RabbitMQ is not
 * installed.
 */
public final class RabbitMqNode {

  /** The value of {@code warren.test.uri} that asks for this node. */
  public static final String AUTO = "rabbitmq";

  private static final Path BIN = Path.of("/usr/lib/rabbitmq/bin");
  private static URI uri;
  private static String unavailable;

  private RabbitMqNode() {}

  /**
   * The broker a test class runs against instead of its in-process one, from {@code
   * warren.test.uri}: none (null) by default, this node for {@value #AUTO} — the class is skipped
   * with the reason when it cannot run — or any AMQP URI as given.
   */
  public static String externalUri(String target) {
    if (target == null || target.isBlank()) {
      return null;
    }
    if (!target.equals(AUTO)) {
      return target;
    }
    URI node = uri();
    org.junit.jupiter.api.Assumptions.assumeTrue(node != null, RabbitMqNode::unavailable);
    return node.toString();
  }

  /** Whether {@code rabbitmq-server} is installed here. */
  public static boolean installed() {
    return Files.isExecutable(BIN.resolve("rabbitmq-server"));
  }

  /**
   * The node's AMQP URI (guest on loopback), starting it on first use; null, with {@link
   * #unavailable()} saying why, when it cannot run here.
   */
  public static synchronized URI uri() {
    if (uri == null && unavailable == null) {
      try {
        uri = start();
      } catch (Exception e) {
        unavailable = "RabbitMQ did not start: " + e.getMessage();
      }
    }
    return uri;
  }

  public static synchronized String unavailable() {
    return unavailable;
  }

  private static URI start() throws IOException, InterruptedException {
    if (!installed()) {
      unavailable = "rabbitmq-server is not installed (apt-get install rabbitmq-server)";
      return null;
    }
    Path work = Files.createTempDirectory("warren-rabbitmq");
    int port = freePort();
    String node = "warren-compare-" + ProcessHandle.current().pid() + "@localhost";
    Files.createDirectories(work.resolve("mnesia"));
    Files.createDirectories(work.resolve("log"));
    Files.writeString(work.resolve("enabled_plugins"), "[].");
    Files.writeString(work.resolve("rabbitmq.conf"), "");
    Files.writeString(work.resolve("advanced.config"), "[].");
    Map<String, String> env =
        Map.ofEntries(
            Map.entry("RABBITMQ_NODENAME", node),
            Map.entry("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
            Map.entry("RABBITMQ_NODE_PORT", Integer.toString(port)),
            Map.entry("RABBITMQ_DIST_PORT", Integer.toString(freePort())),
            Map.entry("RABBITMQ_MNESIA_BASE", work.resolve("mnesia").toString()),
            Map.entry("RABBITMQ_LOG_BASE", work.resolve("log").toString()),
            Map.entry("RABBITMQ_ENABLED_PLUGINS_FILE", work.resolve("enabled_plugins").toString()),
            Map.entry("RABBITMQ_CONFIG_FILE", work.resolve("rabbitmq.conf").toString()),
            Map.entry("RABBITMQ_ADVANCED_CONFIG_FILE", work.resolve("advanced.config").toString()),
            Map.entry("RABBITMQ_PID_FILE", work.resolve("pid").toString()),
            Map.entry("ERL_CRASH_DUMP", work.resolve("erl_crash.dump").toString()));
    ProcessBuilder server =
        new ProcessBuilder(BIN.resolve("rabbitmq-server").toString())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("server.log").toFile())
            .directory(work.toFile());
    server.environment().putAll(env);
    Process process = server.start();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> stop(process, node, env, work), "rabbitmq-stop"));
    int waited =
        ctl(env, work, 150, "-n", node, "wait", "--timeout", "120", work.resolve("pid").toString());
    if (waited != 0 || !process.isAlive()) {
      throw new IOException(
          "rabbitmq-server did not come up; its log:\n"
              + Files.readString(work.resolve("server.log"), StandardCharsets.UTF_8));
    }
    return URI.create("amqp://guest:guest@127.0.0.1:" + port);
  }

  private static int ctl(Map<String, String> env, Path work, long timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
                Stream.concat(Stream.of(BIN.resolve("rabbitmqctl").toString()), Stream.of(args))
                    .toList())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("ctl.log").toFile()))
            .directory(work.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  private static void stop(Process process, String node, Map<String, String> env, Path work) {
    try {
      ctl(env, work, 60, "-n", node, "stop");
    } catch (IOException | InterruptedException ignored) {
      // killed below
    }
    // The script's Erlang VM is a child of the process we started.
    List<ProcessHandle> tree =
        Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
    tree.forEach(ProcessHandle::destroy);
    try {
      process.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException ignored) {
      Thread.currentThread().interrupt();
    }
    tree.forEach(ProcessHandle::destroyForcibly);
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
