package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;

/** {@link MessageRoundTripIT} with the JMS side on the in-VM transport. */
class VmMessageRoundTripIT extends MessageRoundTripIT {
  @Override
  protected String jmsUri() {
    return vmUri();
  }

  /**
   * In-VM properties are objects until a network consumer or the store needs their octets: what the
   * wire cannot carry is refused when sent, as the RabbitMQ Java client refuses it, not when a
   * queue first encodes it.
   */
  @Test
  void propertiesTooLongForTheWireAreRefusedAndTheSessionGoesOn() throws Exception {
    Message tooLong = session.createMessage();
    tooLong.setJMSCorrelationID("c".repeat(256));
    assertThrows(JMSException.class, () -> producer.send(tooLong));
    Message tooLongName = session.createMessage();
    tooLongName.setIntProperty("p".repeat(256), 1);
    assertThrows(JMSException.class, () -> producer.send(tooLongName));
    assertEquals(
        "after", roundTrip(session.createTextMessage("after"), TextMessage.class).getText());
  }

  /** As on RabbitMQ, a CC header must be an array: a String property of that name is refused. */
  @Test
  void aStringPropertyNamedCcIsRefusedAsTheBrokerRefusesIt() throws Exception {
    Message m = session.createMessage();
    m.setStringProperty("CC", "someone");
    JMSException e = assertThrows(JMSException.class, () -> producer.send(m));
    assertTrue(
        String.valueOf(e.getMessage()).contains("{unacceptable_type_in_header,\"CC\",longstr}"),
        e.getMessage());
  }
}
