package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;

/**
 * Asserts how the broker closed a channel or a connection: the reply code and text it sent, and
 * which method (class id, method id) caused it.
 *
 * <p>The Java client reports a close in reply to a synchronous method as an {@link IOException}
 * whose cause is a {@link ShutdownSignalException}, and a close after an asynchronous one (such as
 * basic.publish) as a {@link ShutdownSignalException} from the next synchronous call.
 */
final class CloseAssertions {

  /** A piece of test code that talks to the broker. */
  @FunctionalInterface
  interface AmqpCall {
    void run() throws Exception;
  }

  private CloseAssertions() {}

  /** Runs {@code call}, expects a channel.close, and returns it for further checks. */
  static AMQP.Channel.Close assertChannelClose(
      int replyCode, String replyText, int classId, int methodId, AmqpCall call) {
    AMQP.Channel.Close close =
        assertInstanceOf(AMQP.Channel.Close.class, closeReason(call), "expected a channel.close");
    assertEquals(replyCode, close.getReplyCode(), "reply code");
    assertEquals(replyText, close.getReplyText(), "reply text");
    assertEquals(classId, close.getClassId(), "class id");
    assertEquals(methodId, close.getMethodId(), "method id");
    return close;
  }

  /** Runs {@code call}, expects a connection.close, and returns it for further checks. */
  static AMQP.Connection.Close assertConnectionClose(
      int replyCode, String replyText, int classId, int methodId, AmqpCall call) {
    AMQP.Connection.Close close =
        assertInstanceOf(
            AMQP.Connection.Close.class, closeReason(call), "expected a connection.close");
    assertEquals(replyCode, close.getReplyCode(), "reply code");
    assertEquals(replyText, close.getReplyText(), "reply text");
    assertEquals(classId, close.getClassId(), "class id");
    assertEquals(methodId, close.getMethodId(), "method id");
    return close;
  }

  private static Method closeReason(AmqpCall call) {
    try {
      call.run();
    } catch (ShutdownSignalException e) {
      return e.getReason();
    } catch (IOException e) {
      if (e.getCause() instanceof ShutdownSignalException sse) {
        return sse.getReason();
      }
      fail("expected a close from the broker, got " + e, e);
    } catch (Exception e) {
      fail("expected a close from the broker, got " + e, e);
    }
    return fail("expected the broker to close the channel or connection, but the call succeeded");
  }
}
