package io.warrenmq.jms.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import io.warrenmq.jms.link.LinkException;

/** Turns the Java client's exceptions into {@link LinkException}s carrying the reply code. */
final class AmqpErrors {
  private AmqpErrors() {}

  static LinkException toLinkException(String what, Throwable e) {
    // A refused login (the broker's 403 close, read by the client as this exception).
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof com.rabbitmq.client.AuthenticationFailureException) {
        return new LinkException(what + ": " + t.getMessage(), 403, e);
      }
    }
    ShutdownSignalException signal = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ShutdownSignalException s) {
        signal = s;
        break;
      }
    }
    if (signal != null && signal.isInitiatedByApplication()) {
      // Closed on this side (close() was called): a local cause, so no reply code, as in-VM.
      return new LinkException(
          what + ": the " + (signal.isHardError() ? "link" : "session") + " is closed", 0, e);
    }
    if (signal != null) {
      Object reason = signal.getReason();
      if (reason instanceof AMQP.Channel.Close close) {
        return new LinkException(what + ": " + close.getReplyText(), close.getReplyCode(), e);
      }
      if (reason instanceof AMQP.Connection.Close close) {
        return new LinkException(what + ": " + close.getReplyText(), close.getReplyCode(), e);
      }
    }
    return new LinkException(what + ": " + e, 0, e);
  }
}
