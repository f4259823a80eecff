package io.warrenmq.ra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.warrenmq.ra.container.FakeConnectionManager;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.TransactionInProgressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutboundIT extends AdapterTestSupport {
  private final FakeConnectionManager pool = new FakeConnectionManager();
  private ConnectionFactory factory;

  @Override
  protected WarrenResourceAdapter startAdapter(Path dir) throws Exception {
    WarrenResourceAdapter ra = super.startAdapter(dir);
    WarrenManagedConnectionFactory mcf = new WarrenManagedConnectionFactory();
    mcf.setResourceAdapter(ra);
    factory = (ConnectionFactory) mcf.createConnectionFactory(pool);
    return ra;
  }

  @AfterEach
  void closePool() throws Exception {
    pool.destroyAll();
  }

  private void send(Connection c, jakarta.jms.Destination to, String text) throws Exception {
    Session s = c.createSession();
    s.createProducer(to).send(s.createTextMessage(text));
  }

  @Test
  void applicationSendToAQueueAdminObjectReachesAPlainAmqpConsumer() throws Exception {
    assertEquals("vm", adapter.jmsUri().getScheme(), "the adapter reaches its broker in-VM");
    Channel ch = amqp().createChannel();
    ch.queueDeclare("invoices", true, false, false, null);
    try (Connection c = factory.createConnection()) {
      send(c, new WarrenQueue("invoices"), "invoice 1");
    }
    GetResponse r = ch.basicGet("invoices", true);
    assertNotNull(r);
    assertEquals("invoice 1", new String(r.getBody(), StandardCharsets.UTF_8));
  }

  @Test
  void topicAdminObjectPublishesToAmqTopicWithItsNameAsRoutingKey() throws Exception {
    Channel ch = amqp().createChannel();
    String q = ch.queueDeclare().getQueue();
    ch.queueBind(q, "amq.topic", "news.#");
    try (Connection c = factory.createConnection()) {
      send(c, new WarrenTopic("news.sport"), "goal");
    }
    await(
        "the subscriber's queue has the message", () -> orMinusOne(() -> messageCount(ch, q)) == 1);
  }

  @Test
  void closedHandleReturnsItsManagedConnectionToThePoolForTheNextUser() throws Exception {
    for (int i = 0; i < 5; i++) {
      try (Connection c = factory.createConnection()) {
        send(c, new WarrenQueue("reuse"), "m" + i);
      }
    }
    assertEquals(1, pool.created());
    assertEquals(1, pool.free());
    assertEquals(5, messageCount(amqp().createChannel(), "reuse"));
  }

  @Test
  void otherCredentialsGetAnotherManagedConnectionAndBadOnesAreASecurityError() throws Exception {
    try (Connection a = factory.createConnection()) {
      a.createSession();
    }
    try (Connection b = factory.createConnection("guest", "guest")) {
      b.createSession();
    }
    assertEquals(1, pool.created(), "the same credentials as the default match");
    assertThrows(JMSSecurityException.class, () -> factory.createConnection("guest", "wrong"));
  }

  @Test
  void containerTransactionCommitPublishesAndRollbackDiscards() throws Exception {
    Channel ch = amqp().createChannel();
    ch.queueDeclare("ledger", true, false, false, null);
    pool.inTransaction(
        () -> {
          try (Connection c = factory.createConnection()) {
            send(c, new WarrenQueue("ledger"), "kept");
            assertEquals(0, messageCount(ch, "ledger"), "nothing visible before commit");
          }
        });
    assertEquals(1, messageCount(ch, "ledger"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            pool.inTransaction(
                () -> {
                  try (Connection c = factory.createConnection()) {
                    send(c, new WarrenQueue("ledger"), "discarded");
                  }
                  throw new IllegalArgumentException("the bean fails");
                }));
    assertEquals(1, messageCount(ch, "ledger"));
    assertEquals("kept", new String(ch.basicGet("ledger", true).getBody(), StandardCharsets.UTF_8));
  }

  @Test
  void aJmsContextFromThePoolSendsAndReceivesAndGivesItsConnectionBack() throws Exception {
    Channel ch = amqp().createChannel();
    ch.queueDeclare("context-out", true, false, false, null);
    ch.queueDeclare("context-in", true, false, false, null);
    try (JMSContext context = factory.createContext()) {
      context
          .createProducer()
          .setProperty("kind", "order")
          .setJMSCorrelationID("c-7")
          .send(new WarrenQueue("context-out"), "hello from a context");
      ch.basicPublish(
          "",
          "context-in",
          new com.rabbitmq.client.AMQP.BasicProperties.Builder().contentType("text/plain").build(),
          "hello to a context".getBytes(StandardCharsets.UTF_8));
      assertEquals(
          "hello to a context",
          context.createConsumer(new WarrenQueue("context-in")).receiveBody(String.class, 5_000));
      assertThrows(jakarta.jms.IllegalStateRuntimeException.class, () -> context.setClientID("x"));
    }
    GetResponse r = ch.basicGet("context-out", true);
    assertNotNull(r);
    assertEquals("hello from a context", new String(r.getBody(), StandardCharsets.UTF_8));
    assertEquals("c-7", r.getProps().getCorrelationId());
    assertEquals("order", r.getProps().getHeaders().get("kind").toString());
    assertEquals(1, pool.free(), "closing the context gave the managed connection back");
    assertThrows(
        jakarta.jms.JMSSecurityRuntimeException.class,
        () -> factory.createContext("guest", "wrong"));
  }

  @Test
  void aJmsContextInAContainerTransactionSendsOnlyWhenItCommits() throws Exception {
    Channel ch = amqp().createChannel();
    ch.queueDeclare("context-tx", true, false, false, null);
    pool.inTransaction(
        () -> {
          try (JMSContext context = factory.createContext()) {
            context.createProducer().send(new WarrenQueue("context-tx"), "in the transaction");
            assertEquals(0, messageCount(ch, "context-tx"), "nothing visible before commit");
          }
        });
    assertEquals(1, messageCount(ch, "context-tx"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            pool.inTransaction(
                () -> {
                  try (JMSContext context = factory.createContext()) {
                    context.createProducer().send(new WarrenQueue("context-tx"), "rolled back");
                  }
                  throw new IllegalArgumentException("the bean fails");
                }));
    assertEquals(1, messageCount(ch, "context-tx"));
  }

  @Test
  void sessionInAContainerTransactionRefusesItsOwnCommit() throws Exception {
    pool.inTransaction(
        () -> {
          try (Connection c = factory.createConnection()) {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            assertThrows(TransactionInProgressException.class, s::commit);
          }
        });
  }

  @Test
  void handleMakesOneSessionAndRefusesWhatJakartaEeForbids() throws Exception {
    try (Connection c = factory.createConnection()) {
      c.createSession();
      assertThrows(IllegalStateException.class, c::createSession);
      assertThrows(IllegalStateException.class, () -> c.setClientID("x"));
      assertThrows(IllegalStateException.class, () -> c.setExceptionListener(e -> {}));
    }
  }

  @Test
  void consumerLeftOpenByTheApplicationIsClosedWhenTheHandleCloses() throws Exception {
    Channel ch = amqp().createChannel();
    ch.queueDeclare("requests", true, false, false, null);
    try (Connection c = factory.createConnection()) {
      Session s = c.createSession();
      MessageConsumer consumer = s.createConsumer(new WarrenQueue("requests"));
      assertNull(consumer.receive(50));
    }
    assertEquals(0, ch.queueDeclarePassive("requests").getConsumerCount());
    publish(ch, "requests", "for the next user");
    try (Connection c = factory.createConnection()) {
      Session s = c.createSession();
      TextMessage m = (TextMessage) s.createConsumer(new WarrenQueue("requests")).receive(5000);
      assertEquals("for the next user", m.getText());
    }
  }
}
