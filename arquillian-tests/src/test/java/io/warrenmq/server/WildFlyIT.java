package io.warrenmq.server;

import static io.warrenmq.server.ServerTests.portOpen;
import static io.warrenmq.server.ServerTests.tail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.ContainerController;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.as.controller.client.ModelControllerClient;
import org.jboss.dmr.ModelNode;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.EnterpriseArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A smoke test of {@code warren-sample.ear} (the adapter and the sample application in one archive)
 * on a real WildFly from Maven Central, {@code standalone-full.xml} with a port offset. Arquillian
 * starts the server (container "wildfly" in arquillian.xml, manual mode) and deploys the .ear; the
 * adapter is configured first with {@code ear/src/main/wildfly/warren-sample.cli}, the script the
 * README gives. From outside, a plain AMQP client calls the RPC bean and HTTP triggers a JMS send;
 * then undeployment and shutdown must be clean and close the broker's port. Every wait is bounded.
 */
@ExtendWith(ArquillianExtension.class)
@DisabledIfSystemProperty(
    named = "arquillian.launch",
    matches = ".+",
    disabledReason = "runs with the default container of arquillian.xml, WildFly")
@RunAsClient
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WildFlyIT {
  private static final String CONTAINER = "wildfly";
  private static final String EAR = "warren-sample";
  private static final Pattern AMQP_ADDRESS =
      Pattern.compile("WARRENRA0001 .* on amqp://([^:]+):(\\d+)");

  private static final int MANAGEMENT_PORT = Integer.getInteger("wildfly.management.port");
  private static final int AMQP_PORT = Integer.getInteger("wildfly.amqp.port");
  private static final Path LOG = Path.of(System.getProperty("wildfly.base.dir"), "log");

  private static Connection amqp;

  @ArquillianResource private ContainerController container;
  @ArquillianResource private Deployer deployer;

  /**
   * The .ear as the ear module built it, deployed under its usual name (which names the adapter:
   * warren-sample.ear#warren-ra.rar) whatever the file is called in the local repository.
   */
  @Deployment(name = EAR, managed = false, testable = false)
  @TargetsContainer(CONTAINER)
  static EnterpriseArchive ear() {
    return ShrinkWrap.create(ZipImporter.class, EAR + ".ear")
        .importFrom(new File(System.getProperty("warren.ear")))
        .as(EnterpriseArchive.class);
  }

  @AfterAll
  static void closeClient() throws IOException {
    if (amqp != null && amqp.isOpen()) {
      amqp.abort();
    }
  }

  @Test
  @Order(1)
  void earDeploysOnStandaloneFullAndTheAdapterStartsItsBroker() throws Exception {
    freshServerBaseDir();
    container.start(CONTAINER);
    configureAdapter();
    deployer.deploy(EAR); // throws if WildFly reports a deployment failure

    ModelNode status = management("/deployment=warren-sample.ear", "read-attribute", "status");
    assertEquals("OK", status.asString(), "deployment status");
    String log = serverLog();
    Matcher m = AMQP_ADDRESS.matcher(log);
    assertTrue(m.find(), "the adapter logs its AMQP address:\n" + tail(log));
    assertEquals(AMQP_PORT, Integer.parseInt(m.group(2)), "the port warren-sample.cli configures");
    assertEquals(
        1,
        log.lines().filter(l -> l.contains("WARRENRA0001")).count(),
        "one adapter instance, one embedded broker (no instance per resource definition)");
    for (String bean : List.of("RpcServer", "PoisonListener")) {
      assertTrue(
          log.contains(
              "Started message driven bean '"
                  + bean
                  + "' with 'warren-sample.ear#warren-ra.rar' resource adapter"),
          bean + " is bound to the adapter of the .ear:\n" + tail(log));
    }
    assertNoProblems(log);

    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(AMQP_PORT);
    f.setAutomaticRecoveryEnabled(false);
    amqp = f.newConnection("wildfly-it");
  }

  @Test
  @Order(2)
  void plainAmqpClientsGetFibonacciFromTheRpcBeanConcurrently() throws Exception {
    assertEquals(20, RpcClients.callConcurrently(amqp, 4, 5), "every call is answered");
  }

  @Test
  @Order(3)
  void jmsSendFromTheApplicationReachesANativeAmqpConsumer(
      @ArquillianResource @OperateOnDeployment(EAR) URL app) throws Exception {
    assertEquals("/warren-sample-app/", app.getPath(), "the web module's context root");
    NewsCheck.postReachesNativeConsumer(
        amqp, app.toURI().resolve("api/news"), Duration.ofSeconds(30));
  }

  @Test
  @Order(4)
  void beanThatThrowsGetsTheMessageRedeliveredThenItIsDeadLettered() throws Exception {
    Channel ch = amqp.createChannel();
    ch.queueDeclare("poison_dlq", true, false, false, null);
    ch.basicPublish(
        "",
        "poison_queue",
        new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("text/plain").build(),
        "poison".getBytes(StandardCharsets.UTF_8));
    GetResponse dead = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (dead == null && System.nanoTime() < deadline) {
      dead = ch.basicGet("poison_dlq", true);
      if (dead == null) {
        Thread.sleep(100);
      }
    }
    assertNotNull(dead, "the message reaches the dead-letter queue");
    assertEquals("poison", new String(dead.getBody(), StandardCharsets.UTF_8));
    ch.close();
    // The adapter logs the dead-lettering once the move is committed, so just after the message
    // shows in the dead-letter queue.
    String log = awaitLog("WARRENRA0021", Duration.ofSeconds(10));
    assertTrue(log.contains("WARRENRA0021"), "the operator sees the dead-lettering");
    assertEquals(
        3,
        log.lines().filter(WildFlyIT::isPoisonFailure).count(),
        "one delivery, two redeliveries");
  }

  @Test
  @Order(5)
  void undeployStopsTheAdapterAndClosesTheBrokerPort() throws Exception {
    deployer.undeploy(EAR);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((portOpen(AMQP_PORT) || amqp.isOpen()) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertFalse(portOpen(AMQP_PORT), "the broker's port is closed after undeployment");
    assertFalse(amqp.isOpen(), "the broker closed the client's connection");
    String log = awaitLog("WFLYSRV0009", Duration.ofSeconds(10));
    assertTrue(log.contains("WARRENRA0005 embedded broker stopped"), tail(log));
    assertTrue(log.contains("WFLYSRV0009: Undeployed \"warren-sample.ear\""), tail(log));
    assertNoProblems(log);
  }

  @Test
  @Order(6)
  void serverStopsCleanly() throws Exception {
    container.stop(CONTAINER);
    assertFalse(portOpen(MANAGEMENT_PORT), "WildFly's management port is closed");
    String log = serverLog();
    assertTrue(log.contains("WFLYSRV0050"), "WildFly reports its stop:\n" + tail(log));
    assertNoProblems(log);
  }

  /** A pristine copy of the distribution's standalone/ as the server's base directory. */
  private static void freshServerBaseDir() throws IOException {
    Path base = Path.of(System.getProperty("wildfly.base.dir"));
    if (Files.exists(base)) {
      try (Stream<Path> old = Files.walk(base)) {
        for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Path standalone = Path.of(System.getProperty("jboss.home"), "standalone");
    try (Stream<Path> files = Files.walk(standalone)) {
      for (Path p : files.toList()) {
        Files.copy(p, base.resolve(standalone.relativize(p).toString()));
      }
    }
  }

  /** Runs the README's script with WildFly's own CLI against the running server. */
  private static void configureAdapter() throws Exception {
    Path jbossHome = Path.of(System.getProperty("jboss.home"));
    Path out = Files.createTempFile("warren-cli", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(
                jbossHome.resolve("bin").resolve("jboss-cli.sh").toString(),
                "--controller=remote+http://127.0.0.1:" + MANAGEMENT_PORT,
                "--connect",
                "--file=" + System.getProperty("warren.wildfly.cli"))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("JBOSS_HOME", jbossHome.toString());
    Process cli = pb.start();
    if (!cli.waitFor(60, TimeUnit.SECONDS)) {
      cli.destroyForcibly();
      fail("jboss-cli did not finish:\n" + Files.readString(out));
    }
    String output = Files.readString(out);
    assertEquals(0, cli.exitValue(), output);
    assertTrue(output.contains("The batch executed successfully"), output);
  }

  private static ModelNode management(String address, String operation, String attribute)
      throws IOException {
    ModelNode op = new ModelNode();
    op.get("operation").set(operation);
    ModelNode addr = op.get("address").setEmptyList();
    for (String element : address.substring(1).split("/")) {
      String[] kv = element.split("=", 2);
      addr.add(kv[0], kv[1]);
    }
    op.get("name").set(attribute);
    try (ModelControllerClient client =
        ModelControllerClient.Factory.create("remote+http", "127.0.0.1", MANAGEMENT_PORT)) {
      ModelNode result = client.execute(op);
      assertEquals("success", result.get("outcome").asString(), result.toString());
      return result.get("result");
    }
  }

  /**
   * No error at all, and no warning from the adapter, the connector subsystem (where IronJacamar
   * reports archive validation) or the EJB container; no IronJacamar validation report either. The
   * poison bean's failures, which the dead-letter test expects, are the only exception.
   */
  private static void assertNoProblems(String log) throws IOException {
    List<String> problems =
        log.lines()
            .filter(
                l ->
                    l.contains(" ERROR ")
                        || (l.contains(" WARN ") || l.contains(" WARNING "))
                            && (l.contains("[io.warrenmq")
                                || l.contains("[org.jboss.jca")
                                || l.contains("[org.jboss.as.connector")
                                || l.contains("[org.jboss.as.ejb3")))
            .filter(l -> !isPoisonFailure(l) && !l.contains("WARRENRA0021"))
            .collect(Collectors.toList());
    assertEquals(List.of(), problems, "problems in server.log");
    try (Stream<Path> files = Files.list(LOG)) {
      assertEquals(
          List.of(),
          files.filter(p -> p.getFileName().toString().endsWith(".rar.log")).toList(),
          "IronJacamar's validation reports");
    }
  }

  private static boolean isPoisonFailure(String line) {
    return line.contains("WFLYEJB0034") && line.contains("component PoisonListener");
  }

  /** The log once it contains the text, or when the time is up. */
  private static String awaitLog(String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String log = serverLog();
    while (!log.contains(text) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      log = serverLog();
    }
    return log;
  }

  private static String serverLog() throws IOException {
    return Files.readString(LOG.resolve("server.log"), StandardCharsets.ISO_8859_1);
  }
}
