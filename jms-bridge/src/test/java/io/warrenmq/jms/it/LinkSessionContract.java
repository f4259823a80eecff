package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a {@link LinkSession} promises — an AMQP 0-9-1 channel as RabbitMQ runs one — checked the
 * same way against every implementation, so that the network and in-VM links cannot drift apart. A
 * subclass says only how to open a {@link BrokerLink} to the broker under test.
 *
 * <p>Everything is observed through link sessions: publishes that a test observes are confirmed
 * first (a confirm follows the enqueue, so another session's {@code get} sees the message), and
 * what a queue holds is read by draining it with {@code get}.
 */
public abstract class LinkSessionContract extends JmsTestSupport {

  private final List<BrokerLink> links = new ArrayList<>();
  private BrokerLink link;
  private LinkSession publisher;
  private Confirms publisherConfirms;

  /** Opens a new link to the broker under test. */
  protected abstract BrokerLink connect() throws LinkException;

  @AfterEach
  void closeLinks() {
    links.forEach(BrokerLink::close);
    links.clear();
    link = null;
    publisher = null;
  }

  // ------------------------------------------------------------------ declare, bind, delete

  @Test
  void aDeclaredQueueExistsUntilItIsDeleted() throws Exception {
    LinkSession s = session();
    String q = unique("contract-declare");
    assertFalse(s.queueExists(q));
    assertEquals(q, s.declareQueue(q, false, false, false, null));
    assertTrue(s.queueExists(q));
    s.deleteQueue(q);
    assertFalse(s.queueExists(q));
    assertTrue(s.isOpen());
  }

  @Test
  void anEmptyNameDeclaresAServerNamedQueue() throws Exception {
    LinkSession s = session();
    String q = s.declareQueue("", false, true, true, null);
    assertTrue(q.startsWith("amq.gen-"), q);
    assertTrue(s.queueExists(q));
    assertNotEquals(q, s.declareQueue("", false, true, true, null));
  }

  @Test
  void passiveChecksAnswerWithoutClosingTheSession() throws Exception {
    LinkSession s = session();
    assertFalse(s.queueExists(unique("contract-missing")));
    assertTrue(s.exchangeExists("amq.direct"));
    assertFalse(s.exchangeExists(unique("contract-missing")));
    assertTrue(s.isOpen());
    String q = s.declareQueue(unique("contract-after-passive"), false, false, false, null);
    assertTrue(s.queueExists(q));
  }

  @Test
  void redeclaringAQueueWithOtherDurabilityClosesTheSessionWith406() throws Exception {
    LinkSession s = session();
    String q = s.declareQueue(unique("contract-redeclare"), false, false, false, null);
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - inequivalent arg 'durable'",
        () -> s.declareQueue(q, true, false, false, null),
        () -> s.queueExists(q));
  }

  @Test
  void anInvalidQueueArgumentClosesTheSessionWith406() throws Exception {
    LinkSession s = session();
    String q = unique("contract-bad-argument");
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '" + q + "' in vhost '/'",
        () -> s.declareQueue(q, false, false, false, Map.of("x-max-length", "ten")),
        () -> s.get(q));
  }

  @Test
  void argumentsOfAnotherIntegerTypeWithTheSameValueAreEquivalent() throws Exception {
    LinkSession s = session();
    String q = unique("contract-argument-types");
    s.declareQueue(q, false, false, false, Map.of("x-max-length", 5));
    assertEquals(q, s.declareQueue(q, false, false, false, Map.of("x-max-length", 5L)));
    assertTrue(s.isOpen());
  }

  @Test
  void argumentsWithAnotherValueAreInequivalentWith406() throws Exception {
    LinkSession s = session();
    String q = unique("contract-argument-values");
    s.declareQueue(q, false, false, false, Map.of("x-max-length", 5));
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '" + q + "' in vhost '/'",
        () -> s.declareQueue(q, false, false, false, Map.of("x-max-length", 6)),
        () -> s.get(q));
  }

  @Test
  void aBoundQueueGetsWhatIsRoutedWithItsKeyUntilUnbound() throws Exception {
    LinkSession s = session();
    String q = queue("contract-bind");
    String key = unique("key");
    s.bindQueue(q, "amq.direct", key);
    publishTo("amq.direct", key, "bound");
    publishTo("amq.direct", unique("other-key"), "elsewhere");
    assertEquals(List.of("bound"), bodies(drain(q)));

    s.unbindQueue(q, "amq.direct", key);
    publishTo("amq.direct", key, "unbound");
    assertEquals(List.of(), bodies(drain(q)));
  }

  @Test
  void deletingAQueueDropsItsMessages() throws Exception {
    LinkSession s = session();
    String q = queue("contract-delete");
    publish(q, "dropped");
    s.deleteQueue(q);
    s.declareQueue(q, false, false, false, null);
    assertNull(s.get(q));
  }

  // ------------------------------------------------------------------ publish, consume, get

  @Test
  void aDeliveryCarriesWhatTheMessageWasPublishedWith() throws Exception {
    String q = queue("contract-properties");
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("text", "red");
    headers.put("int", 42);
    headers.put("long", 1L << 40);
    headers.put("flag", true);
    Date second = new Date(1_700_000_000_000L);
    AmqpMessage sent =
        new AmqpMessage(
            "text/plain",
            "utf-8",
            headers,
            1,
            7,
            "correlation",
            "reply-queue",
            "60000",
            "message-1",
            second,
            "kind",
            "guest",
            "app",
            "body".getBytes(StandardCharsets.UTF_8));
    publishTo("", q, sent);

    LinkDelivery d = notNull(session().get(q), "the message");
    assertFalse(d.redelivered());
    assertEquals("", d.exchange());
    assertEquals(q, d.routingKey());
    AmqpMessage got = d.message();
    assertEquals("text/plain", got.contentType());
    assertEquals("utf-8", got.contentEncoding());
    assertEquals(headers, got.headers());
    assertEquals(1, got.deliveryMode());
    assertEquals(7, got.priority());
    assertEquals("correlation", got.correlationId());
    assertEquals("reply-queue", got.replyTo());
    assertEquals("60000", got.expiration());
    assertEquals("message-1", got.messageId());
    assertEquals(second, got.timestamp());
    assertEquals("kind", got.type());
    assertEquals("guest", got.userId());
    assertEquals("app", got.appId());
    assertEquals("body", new String(got.body(), StandardCharsets.UTF_8));
  }

  @Test
  void getTakesMessagesInPublishOrderAndReturnsNullWhenTheQueueIsEmpty() throws Exception {
    LinkSession s = session();
    String q = queue("contract-get");
    assertNull(s.get(q));
    publish(q, "1", "2", "3");
    List<String> got = new ArrayList<>();
    for (LinkDelivery d = s.get(q); d != null; d = s.get(q)) {
      got.add(body(d));
    }
    assertEquals(List.of("1", "2", "3"), got);
    assertNull(s.get(q));
  }

  @Test
  void aConsumerGetsMessagesInPublishOrder() throws Exception {
    String q = queue("contract-consume");
    publish(q, "1", "2", "3");
    Recorder r = new Recorder();
    session().consume(q, 10, false, null, r);
    r.awaitCount(3);
    assertEquals(List.of("1", "2", "3"), bodies(r.deliveries));
    assertTrue(r.deliveries.stream().noneMatch(LinkDelivery::redelivered));
  }

  @Test
  void aConsumerHoldsNoMoreThanItsPrefetchUnacknowledged() throws Exception {
    String q = queue("contract-prefetch");
    publish(q, "1", "2", "3", "4", "5");
    Recorder r = new Recorder();
    session().consume(q, 2, false, null, r);
    r.awaitCount(2);
    // What the consumer was not given is still ready in the queue.
    assertEquals(List.of("3", "4", "5"), bodies(drain(q)));
    assertEquals(List.of("1", "2"), bodies(r.deliveries));
  }

  @Test
  void acknowledgingGivesTheConsumerCreditBack() throws Exception {
    String q = queue("contract-credit");
    publish(q, "1", "2", "3", "4");
    LinkSession s = session();
    Recorder r = new Recorder();
    s.consume(q, 2, false, null, r);
    r.awaitCount(2);
    s.ack(r.deliveries.get(0).deliveryTag(), false);
    r.awaitCount(3);
    assertEquals("3", body(r.deliveries.get(2)));
    assertEquals(List.of("4"), bodies(drain(q)));
  }

  @Test
  void aHandlerMayAcknowledgeAndPublishOnItsOwnThread() throws Exception {
    String q = queue("contract-handler");
    String replies = queue("contract-handler-replies");
    LinkSession s = session();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Recorder r =
        new Recorder(
            d -> {
              try {
                s.publish("", replies, text("re: " + body(d)));
                s.ack(d.deliveryTag(), false);
              } catch (LinkException e) {
                failures.add(e);
              }
            });
    s.consume(q, 1, false, null, r);
    publish(q, "1", "2", "3");
    r.awaitCount(3);
    await("three replies", () -> failures.size() + countQuietly(replies) >= 3);
    assertEquals(List.of(), failures);
    assertEquals(List.of(), bodies(drain(q)), "every delivery was acknowledged");
  }

  // ------------------------------------------------------------------ ack, nack

  @Test
  void aSingleAckSettlesOnlyItsDelivery() throws Exception {
    String q = queue("contract-ack");
    publish(q, "1", "2", "3");
    LinkSession s = session();
    s.get(q);
    LinkDelivery second = s.get(q);
    s.get(q);
    s.ack(second.deliveryTag(), false);
    s.close();
    assertEquals(List.of("1", "3"), bodies(drain(q)));
  }

  @Test
  void aMultipleAckSettlesEveryDeliveryUpToItsTag() throws Exception {
    String q = queue("contract-ack-multiple");
    publish(q, "1", "2", "3");
    LinkSession s = session();
    s.get(q);
    LinkDelivery second = s.get(q);
    s.get(q);
    s.ack(second.deliveryTag(), true);
    s.close();
    assertEquals(List.of("3"), bodies(drain(q)));
  }

  @Test
  void anUnknownDeliveryTagClosesTheSessionWith406ForEveryLaterCall() throws Exception {
    String q = queue("contract-unknown-tag");
    LinkSession s = session();
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - unknown delivery tag 999",
        () -> s.ack(999, false),
        () -> s.get(q));
    assertThrows(
        LinkException.class, () -> s.declareQueue(unique("after"), false, false, false, null));
  }

  @Test
  void aNackWithRequeueRedeliversTheMessageFlaggedRedelivered() throws Exception {
    String q = queue("contract-nack-requeue");
    publish(q, "1", "2");
    LinkSession s = session();
    LinkDelivery first = s.get(q);
    assertFalse(first.redelivered());
    s.nack(first.deliveryTag(), false, true);
    LinkDelivery again = notNull(s.get(q), "the requeued message");
    assertEquals("1", body(again));
    assertTrue(again.redelivered());
    assertNotEquals(first.deliveryTag(), again.deliveryTag());
  }

  @Test
  void aMultipleNackRequeuesEveryDeliveryUpToItsTagInTheirOrder() throws Exception {
    String q = queue("contract-nack-multiple");
    publish(q, "1", "2", "3");
    LinkSession s = session();
    s.get(q);
    LinkDelivery second = s.get(q);
    s.get(q);
    s.nack(second.deliveryTag(), true, true);
    List<LinkDelivery> back = drain(q);
    assertEquals(List.of("1", "2"), bodies(back));
    assertTrue(back.stream().allMatch(LinkDelivery::redelivered));
  }

  @Test
  void aNackWithoutRequeueDropsTheMessage() throws Exception {
    String q = queue("contract-nack-drop");
    publish(q, "dropped", "kept");
    LinkSession s = session();
    s.nack(s.get(q).deliveryTag(), false, false);
    s.close();
    assertEquals(List.of("kept"), bodies(drain(q)));
  }

  @Test
  void aNackWithoutRequeueDeadLettersWhereTheQueueSaysSo() throws Exception {
    String dead = queue("contract-dead");
    String q = unique("contract-dead-lettering");
    session()
        .declareQueue(
            q,
            false,
            false,
            false,
            Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", dead));
    publish(q, "letter");
    LinkSession s = session();
    s.nack(s.get(q).deliveryTag(), false, false);
    await("the dead letter", () -> countQuietly(dead) == 1);
    assertEquals(List.of(), bodies(drain(q)));
  }

  // ------------------------------------------------------------------ transactions

  @Test
  void publishesInATransactionAreInvisibleUntilCommit() throws Exception {
    String q = queue("contract-tx-publish");
    LinkSession s = session();
    s.txSelect();
    s.publish("", q, text("1"));
    s.publish("", q, text("2"));
    s.declareQueue(q, false, false, false, null); // a round trip after the publishes
    assertNull(session().get(q), "an uncommitted publish is visible");
    s.txCommit();
    assertEquals(List.of("1", "2"), bodies(drain(q)));
  }

  @Test
  void rollbackDropsTheTransactionsPublishes() throws Exception {
    String q = queue("contract-tx-rollback");
    LinkSession s = session();
    s.txSelect();
    s.publish("", q, text("dropped"));
    s.txRollback();
    s.publish("", q, text("kept"));
    s.txCommit();
    assertEquals(List.of("kept"), bodies(drain(q)));
  }

  @Test
  void acksInATransactionTakeEffectAtCommit() throws Exception {
    String q = queue("contract-tx-ack");
    publish(q, "1", "2", "3");
    LinkSession s = session();
    s.txSelect();
    LinkDelivery first = s.get(q);
    LinkDelivery second = s.get(q);
    s.ack(first.deliveryTag(), false);
    s.txCommit();
    s.ack(second.deliveryTag(), false);
    s.close(); // the second ack was never committed
    List<LinkDelivery> back = drain(q);
    assertEquals(List.of("2", "3"), bodies(back));
    assertTrue(back.get(0).redelivered());
  }

  @Test
  void rollbackRestoresTheTransactionsAcksAsUnacknowledged() throws Exception {
    String q = queue("contract-tx-ack-rollback");
    publish(q, "1", "2");
    LinkSession s = session();
    s.txSelect();
    LinkDelivery first = s.get(q);
    s.ack(first.deliveryTag(), false);
    s.txRollback();
    // The delivery is outstanding again: its tag is still known, and acknowledging it works.
    s.ack(first.deliveryTag(), false);
    s.txCommit();
    assertTrue(s.isOpen());
    s.close();
    assertEquals(List.of("2"), bodies(drain(q)));
  }

  @Test
  void committedPersistentMessagesOnADurableQueueSurviveACrash() throws Exception {
    Assumptions.assumeTrue(broker() != null, "a crash needs the in-process broker");
    String q = unique("contract-durable-tx");
    LinkSession s = session();
    s.declareQueue(q, true, false, false, null);
    s.txSelect();
    // One commit at a time: each must be on disk when commit-ok comes, not just the first.
    for (String body : List.of("1", "2", "3")) {
      s.publish("", q, persistent(body));
      s.txCommit();
    }

    restartFromCrashImage();
    resetLink();
    assertEquals(List.of("1", "2", "3"), bodies(drain(q)));
  }

  // ------------------------------------------------------------------ confirms

  @Test
  void confirmsAcknowledgeRoutedAndUnroutablePublishes() throws Exception {
    String q = queue("contract-confirm");
    LinkSession s = session();
    Confirms c = new Confirms();
    s.confirmSelect(c);
    long routed = s.publish("", q, text("routed"));
    long unroutable = s.publish("amq.direct", unique("nobody-binds"), text("unroutable"));
    assertEquals(routed + 1, unroutable);
    assertTrue(c.outcome(routed), "routed publish was nacked");
    assertTrue(c.outcome(unroutable), "unroutable publish was nacked");
    assertEquals(List.of("routed"), bodies(drain(q)));
  }

  @Test
  void aPublishRefusedByRejectPublishOverflowIsNacked() throws Exception {
    String q = unique("contract-reject-publish");
    LinkSession s = session();
    s.declareQueue(
        q, false, false, false, Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
    Confirms c = new Confirms();
    s.confirmSelect(c);
    long taken = s.publish("", q, text("taken"));
    long refused = s.publish("", q, text("refused"));
    assertTrue(c.outcome(taken));
    assertFalse(c.outcome(refused), "a publish the full queue refused was acknowledged");
    assertEquals(List.of("taken"), bodies(drain(q)));
  }

  @Test
  void confirmedPersistentMessagesOnADurableQueueSurviveACrash() throws Exception {
    Assumptions.assumeTrue(broker() != null, "a crash needs the in-process broker");
    String q = unique("contract-durable-confirm");
    LinkSession s = session();
    s.declareQueue(q, true, false, false, null);
    Confirms c = new Confirms();
    s.confirmSelect(c);
    // One confirm at a time: each must follow the sync that wrote its message, not just the first
    // (which the declare's own sync may carry).
    for (String body : List.of("1", "2", "3", "4", "5")) {
      assertTrue(c.outcome(s.publish("", q, persistent(body))));
    }

    restartFromCrashImage();
    resetLink();
    List<LinkDelivery> back = drain(q);
    assertEquals(List.of("1", "2", "3", "4", "5"), bodies(back));
    assertEquals(2, back.get(0).message().deliveryMode());
  }

  // ------------------------------------------------------------------ consumers

  @Test
  void cancelReturnsOnlyAfterTheHandlerGotEveryDeliverySentBeforeIt() throws Exception {
    String q = queue("contract-cancel");
    int sent = 50;
    String[] bodies = new String[sent];
    for (int i = 0; i < sent; i++) {
      bodies[i] = Integer.toString(i);
    }
    publish(q, bodies);
    LinkSession s = session();
    CountDownLatch firstHandled = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder r =
        new Recorder(
            d -> {
              if (firstHandled.getCount() > 0) {
                firstHandled.countDown();
                awaitQuietly(release);
              }
            });
    String tag = s.consume(q, sent, false, null, r);
    assertTrue(firstHandled.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "no delivery");
    // The handler holds the first delivery while the others wait behind it; the cancel goes out,
    // and the handler is let go only once the broker has taken the consumer off the queue.
    CompletableFuture<Integer> handledWhenCancelReturned =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                s.cancel(tag);
              } catch (LinkException e) {
                throw new IllegalStateException(e);
              }
              return r.deliveries.size();
            });
    com.rabbitmq.client.Channel inspector = amqpConnection().createChannel();
    await(
        "the broker to take the consumer off",
        () -> {
          try {
            return inspector.queueDeclarePassive(q).getConsumerCount() == 0;
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    release.countDown();
    int handled = handledWhenCancelReturned.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    // Every message is either with the handler or still ready: none was on its way.
    assertEquals(sent - handled, drain(q).size(), "deliveries were still on their way");
    assertEquals(handled, r.deliveries.size(), "a delivery reached the handler after cancel");
    assertTrue(s.isOpen());
  }

  @Test
  void aConsumerWhoseQueueIsDeletedHearsCancelled() throws Exception {
    String q = queue("contract-cancelled");
    Recorder r = new Recorder();
    session().consume(q, 1, false, null, r);
    link().openSession().deleteQueue(q);
    await("the consumer to hear its queue was deleted", () -> r.cancelled);
  }

  @Test
  void closingTheSessionRequeuesUnackedMessagesRedeliveredInTheirOriginalOrder() throws Exception {
    String q = queue("contract-close");
    publish(q, "1", "2", "3", "4", "5");
    LinkSession s = session();
    Recorder r = new Recorder();
    s.consume(q, 3, false, null, r);
    r.awaitCount(3);
    s.ack(r.deliveries.get(1).deliveryTag(), false);
    r.awaitCount(4);
    LinkDelivery got = s.get(q);
    assertEquals("5", body(got));
    s.close();
    assertFalse(s.isOpen());
    List<LinkDelivery> back = drain(q);
    assertEquals(List.of("1", "3", "4", "5"), bodies(back));
    assertTrue(back.stream().allMatch(LinkDelivery::redelivered), "not flagged redelivered");
  }

  @Test
  void anExclusiveConsumerRefusesASecondConsumerWith403() throws Exception {
    String q = queue("contract-exclusive");
    session().consume(q, 1, true, null, new Recorder());
    LinkSession other = link().openSession();
    assertClosesWith(
        other,
        403,
        "ACCESS_REFUSED - queue '" + q + "' in vhost '/' in exclusive use",
        () -> other.consume(q, 1, false, null, new Recorder()),
        () -> other.get(q));
  }

  @Test
  void anExclusiveConsumerIsRefusedWith403WhereAnotherConsumerIs() throws Exception {
    String q = queue("contract-exclusive-second");
    session().consume(q, 1, false, null, new Recorder());
    LinkSession other = link().openSession();
    assertClosesWith(
        other,
        403,
        "ACCESS_REFUSED - queue '" + q + "' in vhost '/' in exclusive use",
        () -> other.consume(q, 1, true, null, new Recorder()),
        () -> other.get(q));
  }

  @Test
  void aSelectorConsumerGetsOnlyMatchingMessagesAndLeavesTheRest() throws Exception {
    Assumptions.assumeTrue(link().filtersConsumers(), "the broker does not filter consumers");
    String q = queue("contract-selector");
    for (String colour : List.of("red", "blue", "red", "green")) {
      AmqpMessage m = text(colour);
      publishTo("", q, withHeaders(m, Map.of("colour", colour)));
    }
    Recorder r = new Recorder();
    session().consume(q, 10, false, "colour = 'red'", r);
    r.awaitCount(2);
    assertEquals(List.of("red", "red"), bodies(r.deliveries));
    assertEquals(List.of("blue", "green"), bodies(drain(q)));
  }

  @Test
  void aUserIdOtherThanTheLoginClosesTheSessionWith406() throws Exception {
    String q = queue("contract-user-id");
    LinkSession s = session();
    AmqpMessage m =
        new AmqpMessage(
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            "nobody",
            null,
            new byte[0]);
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - user_id property set to 'nobody' but authenticated user was"
            + " 'guest'",
        () -> s.publish("", q, m),
        () -> s.get(q));
    assertEquals(List.of(), bodies(drain(q)));
  }

  @Test
  void aSelectorThatDoesNotParseClosesTheSessionWith406() throws Exception {
    Assumptions.assumeTrue(link().filtersConsumers(), "the broker does not filter consumers");
    String q = queue("contract-bad-selector");
    LinkSession s = session();
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - ",
        () -> s.consume(q, 1, false, "colour = = 'red'", new Recorder()),
        () -> s.get(q));
  }

  @Test
  void aBlankSelectorTakesEveryMessage() throws Exception {
    Assumptions.assumeTrue(link().filtersConsumers(), "the broker does not filter consumers");
    String q = queue("contract-blank-selector");
    publish(q, "1", "2");
    Recorder r = new Recorder();
    session().consume(q, 10, false, " ", r);
    r.awaitCount(2);
    assertEquals(List.of("1", "2"), bodies(r.deliveries));
  }

  // ------------------------------------------------------------------ more of a channel

  @Test
  void deletingAQueueThatDoesNotExistSucceeds() throws Exception {
    LinkSession s = session();
    s.deleteQueue(unique("contract-never-declared"));
    assertTrue(s.isOpen());
  }

  @Test
  void unbindingABindingThatDoesNotExistSucceeds() throws Exception {
    LinkSession s = session();
    String q = queue("contract-unbind-missing");
    s.unbindQueue(q, "amq.direct", unique("never-bound"));
    assertTrue(s.isOpen());
  }

  @Test
  void bindingToAMissingExchangeClosesTheSessionWith404() throws Exception {
    LinkSession s = session();
    String q = queue("contract-bind-missing");
    String x = unique("contract-no-exchange");
    assertClosesWith(
        s,
        404,
        "NOT_FOUND - no exchange '" + x + "' in vhost '/'",
        () -> s.bindQueue(q, x, "key"),
        () -> s.get(q));
  }

  @Test
  void publishingToAMissingExchangeClosesTheSessionWith404() throws Exception {
    LinkSession s = session();
    String x = unique("contract-no-exchange");
    assertClosesWith(
        s,
        404,
        "NOT_FOUND - no exchange '" + x + "' in vhost '/'",
        () -> s.publish(x, "key", text("lost")),
        () -> s.declareQueue("", false, true, true, null));
  }

  @Test
  void getFromAMissingQueueClosesTheSessionWith404() throws Exception {
    LinkSession s = session();
    String q = unique("contract-no-queue");
    assertClosesWith(
        s,
        404,
        "NOT_FOUND - no queue '" + q + "' in vhost '/'",
        () -> s.get(q),
        () -> s.declareQueue("", false, true, true, null));
  }

  @Test
  void consumingFromAMissingQueueClosesTheSessionWith404() throws Exception {
    LinkSession s = session();
    String q = unique("contract-no-queue");
    assertClosesWith(
        s,
        404,
        "NOT_FOUND - no queue '" + q + "' in vhost '/'",
        () -> s.consume(q, 1, false, null, new Recorder()),
        () -> s.declareQueue("", false, true, true, null));
  }

  @Test
  void anotherLinksExclusiveQueueIsLockedWith405() throws Exception {
    String q = session().declareQueue(unique("contract-exclusive-queue"), false, true, false, null);
    LinkSession other = connectTracked().openSession();
    String locked = "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '" + q + "'";
    LinkException e = assertThrows(LinkException.class, () -> other.queueExists(q));
    assertEquals(405, e.replyCode(), e.getMessage());
    assertTrue(e.getMessage().contains(locked), e.getMessage());
    assertTrue(other.isOpen(), "a passive check closed the session");
    assertClosesWith(
        other,
        405,
        locked,
        () -> other.consume(q, 1, false, null, new Recorder()),
        () -> other.get(q));
  }

  @Test
  void closingTheLinkDeletesItsExclusiveQueues() throws Exception {
    BrokerLink owner = connectTracked();
    String q =
        owner
            .openSession()
            .declareQueue(unique("contract-exclusive-gone"), false, true, false, null);
    owner.close();
    assertFalse(session().queueExists(q));
  }

  @Test
  void anAutoDeleteQueueGoesWhenItsLastConsumerIsCancelled() throws Exception {
    LinkSession s = session();
    String q = s.declareQueue(unique("contract-auto-delete"), false, false, true, null);
    String first = s.consume(q, 1, false, null, new Recorder());
    String second = s.consume(q, 1, false, null, new Recorder());
    s.cancel(first);
    assertTrue(s.queueExists(q), "gone while a consumer was left");
    s.cancel(second);
    await("the auto-delete queue to go", () -> !existsQuietly(q));
  }

  @Test
  void aDeliveryMayBeAcknowledgedAfterItsConsumerIsCancelled() throws Exception {
    String q = queue("contract-ack-after-cancel");
    publish(q, "1", "2");
    LinkSession s = session();
    Recorder r = new Recorder();
    String tag = s.consume(q, 1, false, null, r);
    r.awaitCount(1);
    s.cancel(tag);
    s.ack(r.deliveries.get(0).deliveryTag(), false);
    s.close();
    assertEquals(List.of("2"), bodies(drain(q)));
  }

  @Test
  void aDeliveryMayBeAcknowledgedAfterItsQueueIsDeleted() throws Exception {
    String q = queue("contract-ack-after-delete");
    publish(q, "1");
    LinkSession s = session();
    LinkDelivery d = s.get(q);
    session().deleteQueue(q);
    s.ack(d.deliveryTag(), false);
    s.declareQueue(q, false, false, false, null); // a round trip: the ack did not close the session
    assertTrue(s.isOpen());
  }

  @Test
  void acknowledgingATagTwiceClosesTheSessionWith406() throws Exception {
    String q = queue("contract-ack-twice");
    publish(q, "1");
    LinkSession s = session();
    LinkDelivery d = s.get(q);
    s.ack(d.deliveryTag(), false);
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - unknown delivery tag " + d.deliveryTag(),
        () -> s.ack(d.deliveryTag(), false),
        () -> s.get(q));
  }

  @Test
  void aMultipleAckOfTagZeroSettlesEveryOutstandingDelivery() throws Exception {
    String q = queue("contract-ack-all");
    publish(q, "1", "2", "3");
    LinkSession s = session();
    s.get(q);
    s.get(q);
    s.ack(0, true);
    s.close();
    assertEquals(List.of("3"), bodies(drain(q)));
  }

  @Test
  void deliveryTagsCountFromOneInEachSession() throws Exception {
    String q = queue("contract-tags");
    publish(q, "1", "2", "3");
    LinkSession s = session();
    assertEquals(1, s.get(q).deliveryTag());
    Recorder r = new Recorder();
    String tag = s.consume(q, 10, false, null, r);
    r.awaitCount(2);
    assertEquals(List.of(2L, 3L), r.deliveries.stream().map(LinkDelivery::deliveryTag).toList());
    s.cancel(tag);
    publish(q, "4");
    assertEquals(1, session().get(q).deliveryTag(), "another session counts from 1 too");
  }

  @Test
  void confirmSequenceNumbersCountFromOne() throws Exception {
    String q = queue("contract-seqno");
    LinkSession s = session();
    s.confirmSelect(new Confirms());
    assertEquals(1, s.publish("", q, text("1")));
    assertEquals(2, s.publish("", q, text("2")));
  }

  @Test
  void aNackWithRequeueGoesBackToTheConsumerWithItsCredit() throws Exception {
    String q = queue("contract-nack-consumer");
    publish(q, "1");
    LinkSession s = session();
    Recorder r = new Recorder();
    s.consume(q, 1, false, null, r);
    r.awaitCount(1);
    s.nack(r.deliveries.get(0).deliveryTag(), false, true);
    r.awaitCount(2);
    assertEquals("1", body(r.deliveries.get(1)));
    assertTrue(r.deliveries.get(1).redelivered());
  }

  @Test
  void commitOutsideATransactionClosesTheSessionWith406() throws Exception {
    LinkSession s = session();
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - channel is not transactional",
        s::txCommit,
        () -> s.declareQueue("", false, true, true, null));
  }

  @Test
  void rollbackOutsideATransactionClosesTheSessionWith406() throws Exception {
    LinkSession s = session();
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - channel is not transactional",
        s::txRollback,
        () -> s.declareQueue("", false, true, true, null));
  }

  @Test
  void aTransactionalSessionRefusesConfirmModeWith406() throws Exception {
    LinkSession s = session();
    s.txSelect();
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - cannot switch from tx to confirm mode",
        () -> s.confirmSelect(new Confirms()),
        () -> s.declareQueue("", false, true, true, null));
  }

  @Test
  void aConfirmingSessionRefusesTransactionsWith406() throws Exception {
    LinkSession s = session();
    s.confirmSelect(new Confirms());
    assertClosesWith(
        s,
        406,
        "PRECONDITION_FAILED - cannot switch from confirm to tx mode",
        s::txSelect,
        () -> s.declareQueue("", false, true, true, null));
  }

  @Test
  void nacksInATransactionTakeEffectAtCommit() throws Exception {
    String q = queue("contract-tx-nack");
    publish(q, "1");
    LinkSession s = session();
    s.txSelect();
    LinkDelivery d = s.get(q);
    s.nack(d.deliveryTag(), false, true);
    assertNull(s.get(q), "a nack took effect before commit");
    s.txCommit();
    LinkDelivery again = notNull(s.get(q), "the message nacked in the transaction");
    assertTrue(again.redelivered());
  }

  @Test
  void closingASessionDiscardsItsOpenTransaction() throws Exception {
    String q = queue("contract-tx-close");
    LinkSession s = session();
    s.txSelect();
    s.publish("", q, text("discarded"));
    s.close();
    publish(q, "kept");
    assertEquals(List.of("kept"), bodies(drain(q)));
  }

  @Test
  void everyCallAfterCloseFailsWithoutAReplyCode() throws Exception {
    String q = queue("contract-after-close");
    LinkSession s = session();
    s.close();
    assertFalse(s.isOpen());
    for (Call call :
        List.<Call>of(
            () -> s.get(q),
            () -> s.queueExists(q),
            () -> s.exchangeExists("amq.direct"),
            () -> s.declareQueue("", false, true, true, null),
            () -> s.publish("", q, text("late")),
            () -> s.consume(q, 1, false, null, new Recorder()),
            s::txSelect)) {
      LinkException e = assertThrows(LinkException.class, call::run);
      assertEquals(0, e.replyCode(), e.getMessage());
    }
    s.close(); // a second close is harmless
  }

  @Test
  void cancellingAConsumerTheBrokerCancelledReturnsAtOnce() throws Exception {
    String q = queue("contract-cancel-cancelled");
    LinkSession s = session();
    Recorder r = new Recorder();
    String tag = s.consume(q, 1, false, null, r);
    session().deleteQueue(q);
    await("the consumer to hear its queue was deleted", () -> r.cancelled);
    s.cancel(tag);
    assertTrue(s.isOpen());
    s.declareQueue("", false, true, true, null);
  }

  @Test
  void cancellingAnUnknownConsumerTagIsHarmless() throws Exception {
    LinkSession s = session();
    s.cancel("amq.ctag-nobody");
    assertTrue(s.isOpen());
    s.declareQueue("", false, true, true, null);
  }

  @Test
  void headerValuesKeepTheirTypes() throws Exception {
    String q = queue("contract-header-types");
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("string", "text");
    headers.put("int", Integer.MIN_VALUE);
    headers.put("long", Long.MAX_VALUE);
    headers.put("short", (short) -2);
    headers.put("byte", (byte) 7);
    headers.put("float", 1.5f);
    headers.put("double", -2.25d);
    headers.put("boolean", false);
    headers.put("decimal", new java.math.BigDecimal("12.345"));
    headers.put("timestamp", new Date(1_700_000_000_000L));
    headers.put("list", List.of("a", 1, true));
    headers.put("table", Map.of("inner", "value"));
    headers.put("bytes", new byte[] {1, 2, 3});
    publishTo("", q, withHeaders(text("typed"), headers));

    Map<String, Object> got = notNull(session().get(q), "the message").message().headers();
    assertEquals(headers.keySet(), got.keySet());
    for (Map.Entry<String, Object> e : headers.entrySet()) {
      Object value = got.get(e.getKey());
      if (e.getValue() instanceof byte[] bytes) {
        assertTrue(value instanceof byte[], e.getKey() + ": " + value);
        assertEquals(List.of(1, 2, 3), List.of((int) bytes[0], (int) bytes[1], (int) bytes[2]));
        assertTrue(java.util.Arrays.equals(bytes, (byte[]) value), e.getKey());
      } else {
        assertEquals(e.getValue(), value, e.getKey());
        if (!(value instanceof List<?> || value instanceof Map<?, ?>)) {
          assertEquals(e.getValue().getClass(), value.getClass(), e.getKey());
        }
      }
    }
  }

  @Test
  void timestampsArriveInWholeSeconds() throws Exception {
    String q = queue("contract-timestamp");
    Date withMillis = new Date(1_700_000_000_789L);
    AmqpMessage m = text("now");
    publishTo(
        "",
        q,
        new AmqpMessage(
            m.contentType(),
            null,
            Map.of("at", withMillis),
            null,
            null,
            null,
            null,
            null,
            null,
            withMillis,
            null,
            null,
            null,
            m.body()));
    AmqpMessage got = notNull(session().get(q), "the message").message();
    assertEquals(new Date(1_700_000_000_000L), got.timestamp());
    assertEquals(new Date(1_700_000_000_000L), got.headers().get("at"));
  }

  @Test
  void aMessageWithoutABodyArrivesWithAnEmptyOne() throws Exception {
    String q = queue("contract-no-body");
    publishTo(
        "",
        q,
        new AmqpMessage(
            null, null, null, null, null, null, null, null, null, null, null, null, null, null));
    LinkDelivery d = notNull(session().get(q), "the message");
    assertEquals(0, d.message().body().length);
    assertNull(d.message().contentType());
    assertNull(d.message().headers());
  }

  @Test
  void aPrefetchOfZeroLimitsNothing() throws Exception {
    String q = queue("contract-prefetch-zero");
    publish(q, "1", "2", "3", "4", "5");
    Recorder r = new Recorder();
    session().consume(q, 0, false, null, r);
    r.awaitCount(5);
    assertEquals(List.of(), bodies(drain(q)));
  }

  @Test
  void eachConsumerOfASessionHasAPrefetchOfItsOwn() throws Exception {
    String one = queue("contract-prefetch-one");
    String three = queue("contract-prefetch-three");
    publish(one, "1", "2", "3", "4");
    publish(three, "1", "2", "3", "4");
    LinkSession s = session();
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    s.consume(one, 1, false, null, a);
    s.consume(three, 3, false, null, b);
    a.awaitCount(1);
    b.awaitCount(3);
    assertEquals(List.of("2", "3", "4"), bodies(drain(one)));
    assertEquals(List.of("4"), bodies(drain(three)));
  }

  // ------------------------------------------------------------------ helpers

  /** The link of this test, opened on first use. */
  protected BrokerLink link() throws LinkException {
    if (link == null || !link.isOpen()) {
      link = connect();
      links.add(link);
    }
    return link;
  }

  /** A new link of its own, closed after the test. */
  private BrokerLink connectTracked() throws LinkException {
    BrokerLink l = connect();
    links.add(l);
    return l;
  }

  /** A new session on this test's link. */
  protected LinkSession session() throws LinkException {
    return link().openSession();
  }

  /** After a restart: the old link is gone; the next call opens a new one. */
  private void resetLink() {
    link = null;
    publisher = null;
  }

  /** A fresh queue (not durable, not exclusive) named after {@code prefix}. */
  private String queue(String prefix) throws LinkException {
    String q = unique(prefix);
    session().declareQueue(q, false, false, false, null);
    return q;
  }

  /** Publishes to {@code queue} through the default exchange and waits for the confirms. */
  private void publish(String queue, String... bodies) throws Exception {
    for (String b : bodies) {
      publishTo("", queue, text(b));
    }
  }

  private void publishTo(String exchange, String key, String body) throws Exception {
    publishTo(exchange, key, text(body));
  }

  /** One confirmed publish on this test's publishing session. */
  private void publishTo(String exchange, String key, AmqpMessage m) throws Exception {
    if (publisher == null || !publisher.isOpen()) {
      publisher = session();
      publisherConfirms = new Confirms();
      publisher.confirmSelect(publisherConfirms);
    }
    assertTrue(publisherConfirms.outcome(publisher.publish(exchange, key, m)), "publish nacked");
  }

  /** Takes (and acknowledges) every message ready in {@code queue}, on a session of its own. */
  private List<LinkDelivery> drain(String queue) throws LinkException {
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
  private int countQuietly(String queue) {
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

  private boolean existsQuietly(String queue) {
    try {
      return session().queueExists(queue);
    } catch (LinkException e) {
      return true;
    }
  }

  private static AmqpMessage text(String body) {
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

  private static AmqpMessage persistent(String body) {
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

  private static AmqpMessage withHeaders(AmqpMessage m, Map<String, Object> headers) {
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

  private static String body(LinkDelivery d) {
    return new String(d.message().body(), StandardCharsets.UTF_8);
  }

  private static List<String> bodies(List<LinkDelivery> deliveries) {
    return deliveries.stream().map(LinkSessionContract::body).toList();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private interface Call {
    void run() throws LinkException;
  }

  /**
   * {@code trigger} closes the session with {@code code}: it fails so itself, or — a network link
   * sends without waiting — the broker closes the session soon after; either way the session then
   * reports itself closed and {@code later} fails with the same code and text.
   */
  private static void assertClosesWith(
      LinkSession s, int code, String text, Call trigger, Call later) throws Exception {
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
  private static final class Recorder implements LinkSession.DeliveryHandler {
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
  private static final class Confirms implements LinkSession.ConfirmHandler {
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
