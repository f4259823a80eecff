package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.jms.link.AmqpMessage;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a {@link LinkSession} promises about delivery — publish, get, consume with prefetch credit,
 * ack and nack (single, multiple, requeue, dead-lettering), cancel draining, the broker's cancel,
 * requeue on close, exclusive consumers, selectors, the validated user-id, message properties and
 * header types — checked the same way against every implementation, as RabbitMQ's channel behaves.
 * See {@link LinkContractSupport}.
 */
public abstract class LinkDeliveryContract extends LinkContractSupport {

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
}
