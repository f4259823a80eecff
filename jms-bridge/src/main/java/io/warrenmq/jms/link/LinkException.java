package io.warrenmq.jms.link;

/**
 * A failure reported by the broker or the transport. {@link #replyCode} is the AMQP reply code when
 * the broker closed a channel or connection (404 NOT_FOUND, 405 RESOURCE_LOCKED, 406
 * PRECONDITION_FAILED, …), or 0 when the cause was local (an I/O error, a closed link).
 */
public final class LinkException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int replyCode;

  public LinkException(String message, int replyCode, Throwable cause) {
    super(message, cause);
    this.replyCode = replyCode;
  }

  public int replyCode() {
    return replyCode;
  }
}
