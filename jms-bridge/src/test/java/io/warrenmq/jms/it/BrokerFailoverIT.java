package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.jms.WarrenConnectionFactory;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection factory given several brokers ({@code amqp://u:p@h1:p1,h2:p2/vhost}, or {@code
 * setAddresses}) connects to one that answers, and a connection made after its broker went away
 * reaches another: what an application (or the resource adapter's reconnecting activations) does on
 * the ExceptionListener's call.
 */
class BrokerFailoverIT {

  private final List<Path> dirs = new ArrayList<>();
  private final List<Broker> brokers = new ArrayList<>();
  private final List<Connection> connections = new ArrayList<>();

  @BeforeEach
  void startTwo() throws Exception {
    for (int i = 0; i < 2; i++) {
      Path dir = Files.createTempDirectory("warren-failover");
      dirs.add(dir);
      brokers.add(
          Broker.start(
              BrokerConfig.defaults()
                  .withHost("127.0.0.1")
                  .withPort(0)
                  .withDataDir(dir)
                  .withName("failover-" + i)));
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Connection c : connections) {
      try {
        c.close();
      } catch (JMSException e) {
        // its broker is gone
      }
    }
    for (Broker b : brokers) {
      b.close();
    }
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static int deadPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort(); // closed again: nobody listens there
    }
  }

  private Connection connect(WarrenConnectionFactory factory) throws JMSException {
    Connection c = factory.createConnection();
    connections.add(c);
    return c;
  }

  /** Which of the two brokers holds queue {@code name}. */
  private int holder(String name) {
    for (int i = 0; i < brokers.size(); i++) {
      if (brokers.get(i).vhosts().get("/").queues().stream().anyMatch(q -> q.name().equals(name))) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void aListedBrokerThatDoesNotAnswerIsPassedOver() throws Exception {
    WarrenConnectionFactory factory =
        new WarrenConnectionFactory(
            "amqp://guest:guest@127.0.0.1:"
                + deadPort()
                + ",127.0.0.1:"
                + brokers.get(1).port()
                + "/%2F");
    Connection c = connect(factory);
    Session s = c.createSession();
    s.createProducer(s.createQueue("reached")).send(s.createTextMessage("hello"));
    assertEquals(1, holder("reached"));
  }

  @Test
  void aConnectionMadeAfterItsBrokerWentAwayReachesAnother() throws Exception {
    WarrenConnectionFactory factory = new WarrenConnectionFactory("amqp://guest:guest@localhost");
    factory.setAddresses(
        "127.0.0.1:" + brokers.get(0).port() + ",127.0.0.1:" + brokers.get(1).port());
    Connection first = connect(factory);
    CountDownLatch lost = new CountDownLatch(1);
    first.setExceptionListener(e -> lost.countDown());
    Session s = first.createSession();
    s.createProducer(s.createQueue("where")).send(s.createTextMessage("one"));
    int used = holder("where");
    assertTrue(used >= 0);

    brokers.get(used).close();
    assertTrue(lost.await(10, TimeUnit.SECONDS), "the ExceptionListener hears of the loss");

    Connection second = connect(factory);
    second.start();
    Session s2 = second.createSession();
    Queue queue = s2.createQueue("where");
    s2.createProducer(queue).send(s2.createTextMessage("two"));
    MessageConsumer consumer = s2.createConsumer(queue);
    TextMessage m = (TextMessage) consumer.receive(10_000);
    assertNotNull(m);
    assertEquals("two", m.getText());
    assertTrue(
        brokers.get(1 - used).vhosts().get("/").queues().stream()
            .anyMatch(q -> q.name().equals("where")),
        "the other broker");
  }

  @Test
  void aBadBrokerListIsRefusedClearly() {
    WarrenConnectionFactory factory =
        new WarrenConnectionFactory("amqp://guest:guest@127.0.0.1:5672,127.0.0.1:notaport/");
    JMSException e = assertThrows(JMSException.class, factory::createConnection);
    assertTrue(e.getMessage().contains("bad port in '127.0.0.1:notaport'"), e.getMessage());
  }
}
