package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a {@link LinkSession} promises about transactions — publishes and settlements held until
 * commit, dropped or restored by rollback — and publisher confirms — acks for routed and unroutable
 * publishes, a nack for a refused one — and that a committed or confirmed persistent message is on
 * disk; checked the same way against every implementation, as RabbitMQ's channel behaves. See
 * {@link LinkContractSupport}.
 */
public abstract class LinkTransactionContract extends LinkContractSupport {

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
  void confirmSequenceNumbersCountFromOne() throws Exception {
    String q = queue("contract-seqno");
    LinkSession s = session();
    s.confirmSelect(new Confirms());
    assertEquals(1, s.publish("", q, text("1")));
    assertEquals(2, s.publish("", q, text("2")));
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
}
