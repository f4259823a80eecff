package io.warrenmq.ra.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.warrenmq.ra.AdapterTestSupport;
import io.warrenmq.ra.WarrenResourceAdapter;
import io.warrenmq.ra.container.FakeEndpointFactory;
import io.warrenmq.ra.container.FakeWorkManager;
import jakarta.jms.TextMessage;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.InvalidPropertyException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class ActivationIT extends AdapterTestSupport {

  private WarrenActivationSpec queueSpec(String queue) {
    WarrenActivationSpec spec = new WarrenActivationSpec();
    spec.setResourceAdapter(adapter);
    spec.setDestination(queue);
    spec.setDestinationType("jakarta.jms.Queue");
    return spec;
  }

  @Test
  void mdbReceivesWhatAPlainAmqpClientPublishesOnWorkManagerThreads() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(true, (m, ctx) -> bodies.add(((TextMessage) m).getText()));
    adapter.endpointActivation(mdb, queueSpec("orders"));
    Channel ch = amqp().createChannel();
    for (int i = 0; i < 20; i++) {
      publish(ch, "orders", "order " + i);
    }
    await("20 messages are delivered", () -> bodies.size() == 20);
    await("the queue is empty", () -> orMinusOne(() -> messageCount(ch, "orders")) == 0);
    assertTrue(
        mdb.deliveryThreads.stream().allMatch(t -> t.startsWith(FakeWorkManager.THREAD_PREFIX)),
        mdb.deliveryThreads::toString);
    assertEquals(20, mdb.commits.get());
  }

  @Test
  void anEndpointWhoseBrokerRestartsReconnectsAndGoesOnConsuming() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(true, (m, ctx) -> bodies.add(((TextMessage) m).getText()));
    WarrenActivationSpec spec = queueSpec("resilient");
    spec.setMaxSession(2);
    adapter.endpointActivation(mdb, spec);
    publish(amqp().createChannel(), "resilient", "before");
    await("the first message is delivered", () -> bodies.equals(List.of("before")));

    // The broker goes away, and comes back on the same port with the same store.
    io.warrenmq.broker.Broker first = adapter.embeddedBroker();
    int port = first.port();
    first.close();
    io.warrenmq.broker.Broker second =
        io.warrenmq.broker.Broker.start(
            adapter.config().brokerConfig().withHost("127.0.0.1").withPort(port));
    try {
      Channel ch = amqp().createChannel();
      publish(ch, "resilient", "after");
      await("the endpoint reconnects and gets the next message", () -> bodies.size() == 2);
      assertEquals(List.of("before", "after"), bodies);
      await("the queue is empty", () -> orMinusOne(() -> messageCount(ch, "resilient")) == 0);
      assertEquals(2, ch.queueDeclarePassive("resilient").getConsumerCount());
    } finally {
      adapter.stop();
      second.close();
      adapter = null;
    }
  }

  @Test
  void messageIsAcknowledgedOnlyWhenTheContainerTransactionCommits() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(
            true,
            (m, ctx) -> {
              inside.countDown();
              proceed.await(10, TimeUnit.SECONDS);
            });
    WarrenActivationSpec spec = queueSpec("slow");
    spec.setMaxSession(1);
    adapter.endpointActivation(mdb, spec);
    Channel ch = amqp().createChannel();
    publish(ch, "slow", "one");
    assertTrue(inside.await(10, TimeUnit.SECONDS));
    Channel other = amqp().createChannel();
    assertEquals(0, other.queueDeclarePassive("slow").getMessageCount());
    assertEquals(1, other.queueDeclarePassive("slow").getConsumerCount());
    proceed.countDown();
    await("the transaction commits", () -> mdb.commits.get() == 1);
    // not acknowledged while onMessage runs: closing the activation now would put it back
    await("nothing is left", () -> orMinusOne(() -> messageCount(other, "slow")) == 0);
  }

  @Test
  void setRollbackOnlyRedeliversWithoutAnException() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Boolean> redelivered = new CopyOnWriteArrayList<>();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(
            true,
            (m, ctx) -> {
              redelivered.add(m.getJMSRedelivered());
              if (calls.incrementAndGet() == 1) {
                ctx.setRollbackOnly();
              }
            });
    adapter.endpointActivation(mdb, queueSpec("undo"));
    publish(amqp().createChannel(), "undo", "again");
    await("the message comes a second time and commits", () -> mdb.commits.get() == 1);
    assertEquals(List.of(false, true), redelivered);
    assertEquals(1, mdb.rollbacks.get());
  }

  @Test
  void failingMdbGetsTheMessageMaxRedeliveriesTimesMoreThenItIsDeadLettered() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(
            true,
            (m, ctx) -> {
              calls.incrementAndGet();
              throw new IllegalStateException("poison");
            });
    WarrenActivationSpec spec = queueSpec("work");
    spec.setMaxRedeliveries(2);
    spec.setDeadLetterQueue("work.dead");
    adapter.endpointActivation(mdb, spec);
    Channel ch = amqp().createChannel();
    ch.queueDeclare("work.dead", true, false, false, null);
    publish(ch, "work", "poison pill");
    await(
        "the message is dead-lettered", () -> orMinusOne(() -> messageCount(ch, "work.dead")) == 1);
    assertEquals(3, calls.get());
    assertEquals(0, messageCount(ch, "work"));
    GetResponse dead = ch.basicGet("work.dead", true);
    assertEquals("poison pill", new String(dead.getBody(), StandardCharsets.UTF_8));
    assertEquals(2, dead.getProps().getDeliveryMode());
  }

  @Test
  void beanManagedEndpointIsAcknowledgedWhenOnMessageReturns() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(
            false,
            (m, ctx) -> {
              if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first time fails");
              }
            });
    adapter.endpointActivation(mdb, queueSpec("bmt"));
    Channel ch = amqp().createChannel();
    publish(ch, "bmt", "x");
    await("the second delivery succeeds", () -> calls.get() == 2);
    await("the queue is empty", () -> orMinusOne(() -> messageCount(ch, "bmt")) == 0);
  }

  @Test
  void topicSubscriptionWithSeveralSessionsDeliversEachMessageOnce() throws Exception {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger deliveries = new AtomicInteger();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(
            true,
            (m, ctx) -> {
              deliveries.incrementAndGet();
              seen.add(((TextMessage) m).getText());
            });
    WarrenActivationSpec spec = new WarrenActivationSpec();
    spec.setResourceAdapter(adapter);
    spec.setDestination("prices.*");
    spec.setDestinationType("jakarta.jms.Topic");
    spec.setSubscriptionDurability("Durable");
    spec.setSubscriptionName("price-watch");
    spec.setMaxSession(3);
    adapter.endpointActivation(mdb, spec);
    Channel ch = amqp().createChannel();
    for (int i = 0; i < 30; i++) {
      ch.basicPublish(
          "amq.topic",
          "prices.ibm",
          new com.rabbitmq.client.AMQP.BasicProperties.Builder().contentType("text/plain").build(),
          ("p" + i).getBytes(StandardCharsets.UTF_8));
    }
    await("30 prices arrive", () -> seen.size() == 30);
    Thread.sleep(200); // a duplicate, if any, would arrive by now
    assertEquals(30, deliveries.get());
  }

  @Test
  void queueBoundToAnExchangeByBindingKeyReceivesWhatIsRoutedThere() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(true, (m, ctx) -> bodies.add(((TextMessage) m).getText()));
    Channel ch = amqp().createChannel();
    ch.exchangeDeclare("events", "direct", true);
    WarrenActivationSpec spec = queueSpec("audit");
    spec.setExchange("events");
    spec.setBindingKey("login");
    adapter.endpointActivation(mdb, spec);
    ch.basicPublish(
        "events",
        "login",
        new com.rabbitmq.client.AMQP.BasicProperties.Builder().contentType("text/plain").build(),
        "alice".getBytes(StandardCharsets.UTF_8));
    await("the routed message arrives", () -> bodies.equals(List.of("alice")));
  }

  @Test
  void anActivationBindsThroughItsOwnConnectionAndOpensNoOtherToTheBroker() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(true, (m, ctx) -> bodies.add(((TextMessage) m).getText()));
    Channel ch = amqp().createChannel();
    ch.exchangeDeclare("orders", "direct", true);
    List<String> accepted = new CopyOnWriteArrayList<>();
    Handler connections =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (String.valueOf(r.getMessage()).startsWith("accepted connection")) {
              accepted.add(java.util.Arrays.toString(r.getParameters()));
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger brokerLog = Logger.getLogger("io.warrenmq.broker");
    brokerLog.addHandler(connections);
    try {
      WarrenActivationSpec spec = queueSpec("orders-audit");
      spec.setExchange("orders");
      spec.setBindingKey("new");
      adapter.endpointActivation(mdb, spec);
      ch.basicPublish(
          "orders",
          "new",
          new com.rabbitmq.client.AMQP.BasicProperties.Builder().contentType("text/plain").build(),
          "order-1".getBytes(StandardCharsets.UTF_8));
      await("the routed message arrives", () -> bodies.equals(List.of("order-1")));
    } finally {
      brokerLog.removeHandler(connections);
    }
    assertEquals(List.of(), accepted, "the activation connected to its own broker over AMQP");
  }

  @Test
  void anActivationBoundToAMissingExchangeFailsNamingIt() {
    WarrenActivationSpec spec = queueSpec("nowhere-audit");
    spec.setExchange("no-such-exchange");
    ResourceException e =
        assertThrows(
            ResourceException.class,
            () -> adapter.endpointActivation(new FakeEndpointFactory(true, (m, c) -> {}), spec));
    assertTrue(e.getMessage().startsWith("WARRENRA0011"), e.getMessage());
    assertTrue(
        e.getMessage().contains("NOT_FOUND - no exchange 'no-such-exchange' in vhost '/'"),
        e.getMessage());
  }

  @Test
  void invalidActivationConfigIsADeploymentErrorNamingEachProperty() {
    WarrenActivationSpec spec = new WarrenActivationSpec();
    spec.setResourceAdapter(adapter);
    spec.setDestinationType("jakarta.jms.Tpic");
    spec.setAcknowledgeMode("Client-acknowledge");
    spec.setMaxSession(0);
    InvalidPropertyException e =
        assertThrows(
            InvalidPropertyException.class,
            () -> adapter.endpointActivation(new FakeEndpointFactory(true, (m, c) -> {}), spec));
    String text = e.getMessage();
    assertTrue(text.startsWith("WARRENRA0010"), text);
    assertTrue(text.contains("destination is required"), text);
    assertTrue(
        text.contains("destinationType must be jakarta.jms.Queue or jakarta.jms.Topic"), text);
    assertTrue(text.contains("acknowledgeMode"), text);
    assertTrue(text.contains("maxSession must be at least 1"), text);
    assertEquals(4, e.getInvalidPropertyDescriptors().length);
  }

  @Test
  void durableSubscriptionWithoutANameOrOnAQueueIsRefused() {
    WarrenActivationSpec spec = queueSpec("q");
    spec.setSubscriptionDurability("Durable");
    InvalidPropertyException e = assertThrows(InvalidPropertyException.class, spec::validate);
    assertTrue(e.getMessage().contains("Durable applies to topics only"), e.getMessage());
    assertTrue(e.getMessage().contains("subscriptionName is required"), e.getMessage());
  }

  @Test
  void aQueueMdbWithASelectorGetsOnlyMatchingMessagesAndLeavesTheRest() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(true, (m, ctx) -> bodies.add(((TextMessage) m).getText()));
    WarrenActivationSpec spec = queueSpec("colors");
    spec.setMessageSelector("color = 'red'");
    adapter.endpointActivation(mdb, spec);
    Channel ch = amqp().createChannel();
    for (int i = 0; i < 6; i++) {
      ch.basicPublish(
          "",
          "colors",
          new com.rabbitmq.client.AMQP.BasicProperties.Builder()
              .contentType("text/plain")
              .headers(java.util.Map.of("color", i % 2 == 0 ? "red" : "blue"))
              .build(),
          ("m" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    await("the red messages arrive", () -> bodies.size() == 3);
    assertEquals(List.of("m0", "m2", "m4"), bodies.stream().sorted().toList());
    await("the blue ones stay", () -> orMinusOne(() -> messageCount(ch, "colors")) == 3);
  }

  @Test
  void stopFinishesRunningDeliveriesAndKeepsEveryPersistentMessage() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    FakeEndpointFactory mdb =
        new FakeEndpointFactory(
            true,
            (m, ctx) -> {
              Thread.sleep(5); // a bean that does some work
              handled.incrementAndGet();
            });
    WarrenActivationSpec spec = queueSpec("jobs");
    spec.setMaxSession(2);
    spec.setPrefetch(20);
    adapter.endpointActivation(mdb, spec);
    Channel ch = amqp().createChannel();
    ch.confirmSelect();
    int total = 500;
    for (int i = 0; i < total; i++) {
      publish(ch, "jobs", "job " + i);
    }
    ch.waitForConfirmsOrDie(30_000); // every message is the broker's before it stops
    await("some jobs are handled", () -> handled.get() >= 20);
    adapter.stop();
    int handledBeforeStop = handled.get();
    assertEquals(mdb.commits.get(), handledBeforeStop, "every finished delivery committed");
    assertEquals(0, container.workManager().running(), "delivery works returned");

    WarrenResourceAdapter restarted = startAdapter(dataDir);
    adapter = restarted;
    Channel after = amqp().createChannel();
    long left = messageCount(after, "jobs");
    assertEquals(total - handledBeforeStop, left, "the broker kept every unhandled message");
  }
}
