package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import org.junit.jupiter.api.Test;

/** {@link MessageRoundTripIT} with the JMS side on the in-VM transport. */
class VmMessageRoundTripIT extends MessageRoundTripIT {
  @Override
  protected String jmsUri() {
    return vmUri();
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
