package io.warrenmq.broker.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.warrenmq.broker.channel.Confirms.Confirm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Confirm bookkeeping: which confirms go out, in what order, and what each names. */
class ConfirmsTest {

  private final Confirms confirms = new Confirms();

  private List<Confirm> settledEarly(long seq) {
    List<Confirm> out = Confirms.newList();
    confirms.settledEarly(seq, out);
    return out;
  }

  private List<Confirm> synced(long upTo) {
    List<Confirm> out = Confirms.newList();
    confirms.synced(upTo, false, out);
    return out;
  }

  private void persistentPublishes(int n) {
    for (int i = 0; i < n; i++) {
      confirms.awaitSync(confirms.next());
    }
  }

  @Test
  void aPublishSettledEarlyIsAckedAloneAndTheNextMultipleAckDoesNotNameItAgain() {
    persistentPublishes(3);
    assertEquals(List.of(new Confirm(3, false, true)), settledEarly(3));
    // As RabbitMQ coalesces: the multiple ack names the last publish confirmed now, not 3 again.
    assertEquals(List.of(new Confirm(2, true, true)), synced(3));
  }

  @Test
  void publishesSettledEarlyAtTheTopOfARangeAreSkippedWhenItIsAcked() {
    persistentPublishes(5);
    assertEquals(List.of(new Confirm(4, false, true)), settledEarly(4));
    assertEquals(List.of(new Confirm(5, false, true)), settledEarly(5));
    assertEquals(List.of(new Confirm(2, false, true)), settledEarly(2));
    assertEquals(List.of(new Confirm(3, true, true)), synced(5));
    confirms.awaitSync(confirms.next());
    assertEquals(List.of(new Confirm(6, false, true)), synced(6));
  }

  @Test
  void aRangeWhoseEveryPublishWasAckedAheadSendsNothing() {
    persistentPublishes(2);
    assertEquals(List.of(new Confirm(2, false, true)), settledEarly(2));
    assertEquals(List.of(new Confirm(1, false, true)), settledEarly(1));
    assertEquals(List.of(), synced(2));
  }
}
