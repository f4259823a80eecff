package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A connection the broker drops is reported to the ExceptionListener (§6.1.8). */
class ConnectionLossIT extends JmsTestSupport {

  @Test
  void theExceptionListenerHearsWhenTheBrokerGoesAway() throws Exception {
    Connection connection = connection();
    BlockingQueue<JMSException> heard = new ArrayBlockingQueue<>(1);
    connection.setExceptionListener(heard::add);
    connection.createSession().createConsumer(connection.createSession().createQueue("q"));
    stopBrokerNow();
    assertNotNull(heard.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS), "no exception reported");
  }
}
