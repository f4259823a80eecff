package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a {@link LinkSession} promises about topology — declare (server-named too), passive checks,
 * bind, unbind, delete, argument checks and equivalence, the errors that close a session (404, 405,
 * 406) and what a closed session or link leaves behind — checked the same way against every
 * implementation, as RabbitMQ's channel behaves. See {@link LinkContractSupport}.
 */
public abstract class LinkTopologyContract extends LinkContractSupport {

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
}
