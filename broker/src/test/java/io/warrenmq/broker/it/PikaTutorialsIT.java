package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The six classic RabbitMQ tutorials, written with python3-pika (the scripts in {@code
 * src/test/resources/pika/}), each run as a child process against the broker, with the Java client
 * on the other end where mixing clients says more. Every script takes the broker's port as its
 * first argument; receivers print a "Waiting" line once their queues are bound and stop by
 * themselves after a given number of messages, so that the test can check their whole output.
 *
 * <p>Skipped when {@code /usr/bin/python3} cannot import pika ({@code apt-get install
 * python3-pika}; {@code .ci/run} installs it).
 */
class PikaTutorialsIT extends MessagingSupport {

  private static final String PYTHON = "/usr/bin/python3";
  private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(30);
  private static final String WAITING_FOR_MESSAGES =
      " [*] Waiting for messages. To exit press CTRL+C";
  private static final String WAITING_FOR_LOGS = " [*] Waiting for logs. To exit press CTRL+C";

  private final List<ClientProcess> processes = new ArrayList<>();

  @BeforeAll
  static void pikaIsInstalled() throws Exception {
    Process check =
        new ProcessBuilder(PYTHON, "-c", "import pika").redirectErrorStream(true).start();
    boolean ended = check.waitFor(30, TimeUnit.SECONDS);
    if (!ended) {
      check.destroyForcibly();
    }
    Assumptions.assumeTrue(
        ended && check.exitValue() == 0,
        PYTHON + " cannot import pika: install python3-pika to run these tests");
  }

  @AfterEach
  void endScriptsAndDeleteTutorialQueues() throws Exception {
    for (ClientProcess process : processes) {
      process.close();
    }
    processes.clear();
    try (Connection connection = connectionFactory().newConnection()) {
      for (String queue : List.of("hello", "task_queue", "rpc_queue")) {
        Channel channel = connection.createChannel();
        channel.queueDelete(queue);
        channel.close();
      }
      Channel channel = connection.createChannel();
      for (String exchange : List.of("logs", "direct_logs", "topic_logs")) {
        channel.exchangeDelete(exchange);
      }
    }
  }

  // Tutorial one: "Hello World!"

  @Test
  void helloWorldSentByPikaIsReceivedByPika() throws Exception {
    ClientProcess receiver = start("receive.py", "1");
    receiver.awaitLine(WAITING_FOR_MESSAGES, PROCESS_TIMEOUT);

    assertEquals(List.of(" [x] Sent 'Hello World!'"), run("send.py").stdout());

    assertEquals(
        List.of(WAITING_FOR_MESSAGES, " [x] Received Hello World!"),
        receiver.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
  }

  @Test
  void helloWorldCrossesBetweenPikaAndTheJavaClientBothWays() throws Exception {
    Channel channel = newConnection().createChannel();
    channel.queueDeclare("hello", false, false, false, null);
    publish(channel, "hello", "Hello from Java!");

    assertEquals(
        List.of(WAITING_FOR_MESSAGES, " [x] Received Hello from Java!"),
        run("receive.py", "1").stdout());

    run("send.py");
    GetResponse fromPika = channel.basicGet("hello", true);
    assertNotNull(fromPika, "the message pika sent");
    assertEquals("Hello World!", body(fromPika));
    assertEquals("hello", fromPika.getEnvelope().getRoutingKey());
  }

  // Tutorial two: "Work queues"

  @Test
  void newTaskSendsPersistentTasksToADurableQueue() throws Exception {
    assertEquals(List.of(" [x] Sent A task."), run("new_task.py", "A task.").stdout());

    Channel channel = newConnection().createChannel();
    // redeclaring with durable=true succeeds only if pika declared it durable too
    assertEquals(1, channel.queueDeclare("task_queue", true, false, false, null).getMessageCount());
    GetResponse task = channel.basicGet("task_queue", true);
    assertEquals("A task.", body(task));
    assertEquals(2, task.getProps().getDeliveryMode(), "delivery mode (2 = persistent)");
  }

  @Test
  void workersWithPrefetchOneLeaveTheShortTasksToTheIdleWorker() throws Exception {
    ClientProcess first = start("worker.py");
    ClientProcess second = start("worker.py");
    first.awaitLine(WAITING_FOR_MESSAGES, PROCESS_TIMEOUT);
    second.awaitLine(WAITING_FOR_MESSAGES, PROCESS_TIMEOUT);
    String longTask = "long task" + ".".repeat(20);
    List<String> shortTasks = List.of("short 1", "short 2", "short 3", "short 4");
    List<String> tasks = new ArrayList<>();
    tasks.add(longTask);
    tasks.addAll(shortTasks);

    run("new_task.py", tasks.toArray(String[]::new));
    // one 'stop' per worker: each worker acks its 'stop' only after cancelling its consumer
    run("new_task.py", "stop", "stop");

    List<String> firstDone = first.finish(PROCESS_TIMEOUT).assertSucceeded().stdout();
    List<String> secondDone = second.finish(PROCESS_TIMEOUT).assertSucceeded().stdout();
    List<String> longWorker = firstDone.size() < secondDone.size() ? firstDone : secondDone;
    List<String> shortWorker = longWorker == firstDone ? secondDone : firstDone;
    assertEquals(workerOutput(List.of(longTask)), longWorker, "the worker given the long task");
    assertEquals(workerOutput(shortTasks), shortWorker, "the other worker");
    Channel channel = newConnection().createChannel();
    AMQP.Queue.DeclareOk taskQueue = channel.queueDeclarePassive("task_queue");
    assertEquals(0, taskQueue.getMessageCount(), "every task was acknowledged");
  }

  private static List<String> workerOutput(List<String> tasks) {
    List<String> lines = new ArrayList<>();
    lines.add(WAITING_FOR_MESSAGES);
    for (String task : tasks) {
      lines.add(" [x] Received " + task);
      lines.add(" [x] Done");
    }
    return lines;
  }

  // Tutorial three: "Publish/Subscribe"

  @Test
  void fanoutLogsReachEveryPikaSubscriberAndAJavaOne() throws Exception {
    ClientProcess first = start("receive_logs.py", "2");
    ClientProcess second = start("receive_logs.py", "2");
    first.awaitLine(WAITING_FOR_LOGS, PROCESS_TIMEOUT);
    second.awaitLine(WAITING_FOR_LOGS, PROCESS_TIMEOUT);
    Channel channel = newConnection().createChannel();
    String javaQueue = channel.queueDeclare().getQueue();
    channel.queueBind(javaQueue, "logs", "");
    BlockingQueue<Delivery> javaLogs = consume(channel, javaQueue, true);

    assertEquals(
        List.of(" [x] Sent info: Hello World!"), run("emit_log.py", "info: Hello World!").stdout());
    run("emit_log.py", "warning: Disk almost full");

    List<String> expected =
        List.of(WAITING_FOR_LOGS, " [x] info: Hello World!", " [x] warning: Disk almost full");
    assertEquals(expected, first.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
    assertEquals(expected, second.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
    assertEquals(
        List.of("info: Hello World!", "warning: Disk almost full"), nextBodies(javaLogs, 2));
  }

  // Tutorial four: "Routing"

  @Test
  void directLogsReachOnlyTheSubscribersOfTheirSeverity() throws Exception {
    ClientProcess problems = start("receive_logs_direct.py", "2", "warning", "error");
    ClientProcess infos = start("receive_logs_direct.py", "2", "info");
    problems.awaitLine(WAITING_FOR_LOGS, PROCESS_TIMEOUT);
    infos.awaitLine(WAITING_FOR_LOGS, PROCESS_TIMEOUT);

    // each subscriber's first expected message comes after one it must not get, and it stops
    // after its last expected one before anything else is sent, so a misroute shows in its output
    assertEquals(
        List.of(" [x] Sent info:Starting"), run("emit_log_direct.py", "info", "Starting").stdout());
    run("emit_log_direct.py", "warning", "Disk almost full");
    run("emit_log_direct.py", "error", "Disk full");
    run("emit_log_direct.py", "info", "Stopping");

    assertEquals(
        List.of(WAITING_FOR_LOGS, " [x] warning:Disk almost full", " [x] error:Disk full"),
        problems.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
    assertEquals(
        List.of(WAITING_FOR_LOGS, " [x] info:Starting", " [x] info:Stopping"),
        infos.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
  }

  // Tutorial five: "Topics"

  @Test
  void topicLogsMatchStarAndHashBindingsAndArriveOncePerQueue() throws Exception {
    ClientProcess everything = start("receive_logs_topic.py", "6", "#");
    ClientProcess kernel = start("receive_logs_topic.py", "3", "kern.*");
    ClientProcess critical = start("receive_logs_topic.py", "3", "*.critical");
    ClientProcess both = start("receive_logs_topic.py", "4", "kern.*", "*.critical");
    ClientProcess kernelTree = start("receive_logs_topic.py", "4", "kern.#");
    for (ClientProcess receiver : List.of(everything, kernel, critical, both, kernelTree)) {
      receiver.awaitLine(WAITING_FOR_LOGS, PROCESS_TIMEOUT);
    }

    String cron = " [x] cron.info:Nightly backup started";
    String kernelCritical = " [x] kern.critical:A critical kernel error";
    String authCritical = " [x] auth.critical:Too many failed logins";
    String kernelInfo = " [x] kern.info:Module loaded";
    String kernelDisk = " [x] kern.disk.critical:Disk failure";
    // matched by every binding, so each receiver stops on it and any misroute shows before it
    String last = " [x] kern.critical:Shutting down";
    for (String log : List.of(cron, kernelCritical, authCritical, kernelInfo, kernelDisk, last)) {
      String[] keyAndMessage = log.substring(" [x] ".length()).split(":", 2);
      assertEquals(
          List.of(" [x] Sent " + keyAndMessage[0] + ":" + keyAndMessage[1]),
          run("emit_log_topic.py", keyAndMessage[0], keyAndMessage[1]).stdout());
    }

    assertEquals(
        List.of(WAITING_FOR_LOGS, cron, kernelCritical, authCritical, kernelInfo, kernelDisk, last),
        everything.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
    assertEquals(
        List.of(WAITING_FOR_LOGS, kernelCritical, kernelInfo, last),
        kernel.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
    assertEquals(
        List.of(WAITING_FOR_LOGS, kernelCritical, authCritical, last),
        critical.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
    assertEquals(
        List.of(WAITING_FOR_LOGS, kernelCritical, authCritical, kernelInfo, last),
        both.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
    assertEquals(
        List.of(WAITING_FOR_LOGS, kernelCritical, kernelInfo, kernelDisk, last),
        kernelTree.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
  }

  // Tutorial six: "RPC"

  @Test
  void pikaRpcServerAnswersThePikaClientAndAJavaClient() throws Exception {
    ClientProcess server = start("rpc_server.py", "3");
    server.awaitLine(" [x] Awaiting RPC requests", PROCESS_TIMEOUT);

    assertEquals(
        List.of(
            " [x] Requesting fib(10)", " [.] Got 55", " [x] Requesting fib(30)", " [.] Got 832040"),
        run("rpc_client.py", "10", "30").assertSucceeded().stdout());

    Channel client = newConnection().createChannel();
    String callbackQueue = client.queueDeclare().getQueue();
    BlockingQueue<Delivery> replies = consume(client, callbackQueue, true);
    String correlationId = UUID.randomUUID().toString();
    client.basicPublish(
        "",
        "rpc_queue",
        new AMQP.BasicProperties.Builder()
            .replyTo(callbackQueue)
            .correlationId(correlationId)
            .build(),
        "20".getBytes(UTF_8));
    Delivery reply = next(replies);
    assertEquals("6765", body(reply));
    assertEquals(correlationId, reply.getProperties().getCorrelationId());

    assertEquals(
        List.of(" [x] Awaiting RPC requests", " [.] fib(10)", " [.] fib(30)", " [.] fib(20)"),
        server.finish(PROCESS_TIMEOUT).assertSucceeded().stdout());
  }

  @Test
  void javaRpcServerAnswersThePikaClient() throws Exception {
    Channel server = newConnection().createChannel();
    server.queueDeclare("rpc_queue", false, false, false, null);
    server.basicQos(1);
    List<String> callbackQueues = new CopyOnWriteArrayList<>();
    server.basicConsume(
        "rpc_queue",
        false,
        (tag, request) -> {
          AMQP.BasicProperties in = request.getProperties();
          callbackQueues.add(in.getReplyTo());
          long answer = fibonacci(Integer.parseInt(body(request)));
          server.basicPublish(
              "",
              in.getReplyTo(),
              new AMQP.BasicProperties.Builder().correlationId(in.getCorrelationId()).build(),
              Long.toString(answer).getBytes(UTF_8));
          server.basicAck(request.getEnvelope().getDeliveryTag(), false);
        },
        tag -> {});

    assertEquals(
        List.of(
            " [x] Requesting fib(1)",
            " [.] Got 1",
            " [x] Requesting fib(2)",
            " [.] Got 1",
            " [x] Requesting fib(25)",
            " [.] Got 75025"),
        run("rpc_client.py", "1", "2", "25").assertSucceeded().stdout());
    assertEquals(1, Set.copyOf(callbackQueues).size(), "one callback queue: " + callbackQueues);
    assertTrue(callbackQueues.get(0).startsWith("amq.gen-"), callbackQueues.get(0));
    // the exclusive callback queue went with the client's connection
    await()
        .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
        .until(() -> !queueExists(callbackQueues.get(0)));
  }

  private static long fibonacci(int n) {
    long a = 0;
    long b = 1;
    for (int i = 0; i < n; i++) {
      long next = a + b;
      a = b;
      b = next;
    }
    return a;
  }

  private ClientProcess start(String script, String... arguments) throws Exception {
    ClientProcess process = ClientProcess.start(command(script, arguments));
    processes.add(process);
    return process;
  }

  private ClientProcess.Result run(String script, String... arguments) throws Exception {
    return ClientProcess.run(command(script, arguments), PROCESS_TIMEOUT).assertSucceeded();
  }

  private List<String> command(String script, String... arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(PYTHON);
    command.add(script(script).toString());
    command.add(Integer.toString(brokerUri().getPort()));
    command.addAll(List.of(arguments));
    return command;
  }

  private static Path script(String name) throws IOException {
    URL url = PikaTutorialsIT.class.getResource("/pika/" + name);
    if (url == null) {
      throw new IOException("no test resource pika/" + name);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }

  private boolean queueExists(String queue) throws Exception {
    try (Connection connection = connectionFactory().newConnection()) {
      connection.createChannel().queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
