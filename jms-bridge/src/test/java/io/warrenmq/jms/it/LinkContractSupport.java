package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.jms.amqp.AmqpBrokerLink;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import io.warrenmq.jms.vm.VmBrokerLink;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * The link contract: what a {@link LinkSession} promises — an AMQP 0-9-1 channel as RabbitMQ runs
 * one — checked the same way against every implementation, so that the network and in-VM links
 * cannot drift apart. Each contract ({@link LinkTopologyContract}, {@link LinkDeliveryContract},
 * {@link LinkTransactionContract}) has one subclass per implementation, which says only how to open
 * a {@link BrokerLink}: {@code AmqpLink…IT} over the network (against the in-process WarrenMQ, and
 * in the comparison run against RabbitMQ) and {@code VmLink…IT} in-VM.
 *
 * <p>Everything is observed through link sessions: publishes that a test observes are confirmed
 * first (a confirm follows the enqueue, so another session's {@code get} sees the message), and
 * what a queue holds is read by draining it with {@code get}.
 */
public abstract class LinkContractSupport extends JmsTestSupport {

  private final List<BrokerLink> links = new ArrayList<>();
  private BrokerLink link;
  private LinkSession publisher;
  private Confirms publisherConfirms;

  /** Opens a new link to the broker under test. */
  protected abstract BrokerLink connect() throws LinkException;

  /** A network link to the broker under test (WarrenMQ in-process, or RabbitMQ). */
  static BrokerLink networkLink() throws LinkException {
    return AmqpBrokerLink.connect(URI.create(brokerUri()), null, null, "link-contract");
  }

  /** An in-VM link to the in-process broker. */
  static BrokerLink vmLink() throws LinkException {
    return VmBrokerLink.connect(URI.create(vmUri()), null, null);
  }

  @AfterEach
  void closeLinks() {
    links.forEach(BrokerLink::close);
    links.clear();
    link = null;
    publisher = null;
  }

  /** The link of this test, opened on first use. */
  protected BrokerLink link() throws LinkException {
    if (link == null || !link.isOpen()) {
      link = connect();
      links.add(link);
    }
    return link;
  }

  /** A new link of its own, closed after the test. */
  BrokerLink connectTracked() throws LinkException {
    BrokerLink l = connect();
    links.add(l);
    return l;
  }

  /** A new session on this test's link. */
  protected LinkSession session() throws LinkException {
    return link().openSession();
  }

  /** After a restart: the old link is gone; the next call opens a new one. */
  void resetLink() {
    link = null;
    publisher = null;
  }

  /** A fresh queue (not durable, not exclusive) named after {@code prefix}. */
  String queue(String prefix) throws LinkException {
    String q = unique(prefix);
    session().declareQueue(q, false, false, false, null);
    return q;
  }

  /** Publishes to {@code queue} through the default exchange and waits for the confirms. */
  void publish(String queue, String... bodies) throws Exception {
    for (String b : bodies) {
      publishTo("", queue, text(b));
    }
  }

  void publishTo(String exchange, String key, String body) throws Exception {
    publishTo(exchange, key, text(body));
  }

  /** One confirmed publish on this test's publishing session. */
  void publishTo(String exchange, String key, AmqpMessage m) throws Exception {
    if (publisher == null || !publisher.isOpen()) {
      publisher = session();
      publisherConfirms = new Confirms();
      publisher.confirmSelect(publisherConfirms);
    }
    assertTrue(publisherConfirms.outcome(publisher.publish(exchange, key, m)), "publish nacked");
  }

  /** Takes (and acknowledges) every message ready in {@code queue}, on a session of its own. */
  List<LinkDelivery> drain(String queue) throws LinkException {
    LinkSession s = session();
    List<LinkDelivery> out = new ArrayList<>();
    for (LinkDelivery d = s.get(queue); d != null; d = s.get(queue)) {
      out.add(d);
      s.ack(d.deliveryTag(), false);
    }
    s.close();
    return out;
  }

  /** How many messages {@code queue} holds ready, without taking them (-1 on failure). */
  int countQuietly(String queue) {
    try {
      LinkSession s = session();
      int n = 0;
      while (s.get(queue) != null) {
        n++;
      }
      s.close(); // they all go back
      return n;
    } catch (LinkException e) {
      return -1;
    }
  }

  boolean existsQuietly(String queue) {
    try {
      return session().queueExists(queue);
    } catch (LinkException e) {
      return true;
    }
  }

  static AmqpMessage text(String body) {
    return new AmqpMessage(
        "text/plain",
        null,
        null,
        1,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        body.getBytes(StandardCharsets.UTF_8));
  }

  static AmqpMessage persistent(String body) {
    return new AmqpMessage(
        "text/plain",
        null,
        null,
        2,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        body.getBytes(StandardCharsets.UTF_8));
  }

  static AmqpMessage withHeaders(AmqpMessage m, Map<String, Object> headers) {
    return new AmqpMessage(
        m.contentType(),
        m.contentEncoding(),
        headers,
        m.deliveryMode(),
        m.priority(),
        m.correlationId(),
        m.replyTo(),
        m.expiration(),
        m.messageId(),
        m.timestamp(),
        m.type(),
        m.userId(),
        m.appId(),
        m.body());
  }

  static String body(LinkDelivery d) {
    return new String(d.message().body(), StandardCharsets.UTF_8);
  }

  static List<String> bodies(List<LinkDelivery> deliveries) {
    return deliveries.stream().map(LinkContractSupport::body).toList();
  }

  static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  interface Call {
    void run() throws LinkException;
  }

  /**
   * {@code trigger} closes the session with {@code code}: it fails so itself, or — a network link
   * sends without waiting — the broker closes the session soon after; either way the session then
   * reports itself closed and {@code later} fails with the same code and text.
   */
  static void assertClosesWith(LinkSession s, int code, String text, Call trigger, Call later)
      throws Exception {
    try {
      trigger.run();
    } catch (LinkException e) {
      assertEquals(code, e.replyCode(), e.getMessage());
      assertTrue(e.getMessage().contains(text), e.getMessage());
    }
    await("the session to close", () -> !s.isOpen());
    LinkException e = assertThrows(LinkException.class, later::run);
    assertEquals(code, e.replyCode(), e.getMessage());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  /** Records a consumer's deliveries, after running an optional action on each. */
  static final class Recorder implements LinkSession.DeliveryHandler {
    final List<LinkDelivery> deliveries = new CopyOnWriteArrayList<>();
    private final java.util.function.Consumer<LinkDelivery> action;
    volatile boolean cancelled;

    Recorder() {
      this(d -> {});
    }

    Recorder(java.util.function.Consumer<LinkDelivery> action) {
      this.action = action;
    }

    @Override
    public void handle(LinkDelivery delivery) {
      action.accept(delivery);
      deliveries.add(delivery);
    }

    @Override
    public void cancelled() {
      cancelled = true;
    }

    void awaitCount(int n) throws InterruptedException {
      await(n + " deliveries", () -> deliveries.size() >= n);
    }
  }

  /**
   * Publisher confirms in the order they arrive. A sequence number's outcome is that of the first
   * confirm covering it — the one naming it, or a multiple one naming a later number — which also
   * holds when a confirm arrives before its publish call has returned the number.
   */
  static final class Confirms implements LinkSession.ConfirmHandler {
    private record Confirm(long seqNo, boolean multiple, boolean ack) {}

    private final List<Confirm> confirms = new CopyOnWriteArrayList<>();

    @Override
    public void confirmed(long seqNo, boolean multiple, boolean ack) {
      confirms.add(new Confirm(seqNo, multiple, ack));
    }

    boolean outcome(long seqNo) throws InterruptedException {
      Boolean[] found = new Boolean[1];
      await(
          "the confirm of publish " + seqNo,
          () -> {
            for (Confirm c : confirms) {
              if (c.seqNo() == seqNo || (c.multiple() && c.seqNo() > seqNo)) {
                found[0] = c.ack();
                return true;
              }
            }
            return false;
          });
      return found[0];
    }
  }
}
