package io.warrenmq.jms;

import io.warrenmq.jms.link.LinkException;
import jakarta.jms.IllegalStateException;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.InvalidClientIDException;
import jakarta.jms.InvalidClientIDRuntimeException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.InvalidDestinationRuntimeException;
import jakarta.jms.InvalidSelectorException;
import jakarta.jms.InvalidSelectorRuntimeException;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.JMSSecurityRuntimeException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageFormatRuntimeException;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.MessageNotWriteableRuntimeException;
import jakarta.jms.ResourceAllocationException;
import jakarta.jms.ResourceAllocationRuntimeException;
import jakarta.jms.TransactionInProgressException;
import jakarta.jms.TransactionInProgressRuntimeException;
import jakarta.jms.TransactionRolledBackException;
import jakarta.jms.TransactionRolledBackRuntimeException;

/** Conversions between link failures, checked JMS exceptions and their runtime twins. */
final class JmsErrors {
  private JmsErrors() {}

  /** A link failure as the JMS exception the spec would name for it. */
  static JMSException jms(String what, LinkException e) {
    JMSException failure =
        switch (e.replyCode()) {
          case 403 -> new JMSSecurityException(what + ": " + e.getMessage(), "403");
          case 404 -> new InvalidDestinationException(what + ": " + e.getMessage(), "404");
          default ->
              new JMSException(
                  what + ": " + e.getMessage(), e.replyCode() == 0 ? null : "" + e.replyCode());
        };
    failure.setLinkedException(e);
    failure.initCause(e);
    return failure;
  }

  /** The runtime exception of the simplified API for a checked one (§ JMSContext). */
  static JMSRuntimeException runtime(JMSException e) {
    String m = e.getMessage();
    String c = e.getErrorCode();
    JMSRuntimeException r;
    if (e instanceof IllegalStateException) {
      r = new IllegalStateRuntimeException(m, c, e);
    } else if (e instanceof InvalidClientIDException) {
      r = new InvalidClientIDRuntimeException(m, c, e);
    } else if (e instanceof InvalidDestinationException) {
      r = new InvalidDestinationRuntimeException(m, c, e);
    } else if (e instanceof InvalidSelectorException) {
      r = new InvalidSelectorRuntimeException(m, c, e);
    } else if (e instanceof JMSSecurityException) {
      r = new JMSSecurityRuntimeException(m, c, e);
    } else if (e instanceof MessageFormatException) {
      r = new MessageFormatRuntimeException(m, c, e);
    } else if (e instanceof MessageNotWriteableException) {
      r = new MessageNotWriteableRuntimeException(m, c, e);
    } else if (e instanceof ResourceAllocationException) {
      r = new ResourceAllocationRuntimeException(m, c, e);
    } else if (e instanceof TransactionInProgressException) {
      r = new TransactionInProgressRuntimeException(m, c, e);
    } else if (e instanceof TransactionRolledBackException) {
      r = new TransactionRolledBackRuntimeException(m, c, e);
    } else {
      r = new JMSRuntimeException(m, c, e);
    }
    return r;
  }

  static IllegalStateException closed(String what) {
    return new IllegalStateException("the " + what + " is closed");
  }
}
