package io.warrenmq.broker.protocol;

import java.util.Locale;

/**
 * A protocol error: the reply code and text that close a channel ({@link ReplyCode#hard()} false)
 * or the connection. The text follows RabbitMQ's form, {@code NOT_FOUND - no queue 'q' in vhost
 * '/'}, since clients and people match on it.
 */
public final class AmqpException extends Exception {

  private final ReplyCode code;
  private final boolean closesConnection;
  private final int classId;
  private final int methodId;
  private final boolean namesMethod;
  private final String detail;

  private AmqpException(
      ReplyCode code, boolean closesConnection, String text, int classId, int methodId) {
    super(code.name() + " - " + text, null, false, false);
    this.code = code;
    this.closesConnection = closesConnection;
    this.classId = classId;
    this.methodId = methodId;
    this.namesMethod = true;
    this.detail = null;
  }

  private AmqpException(ReplyCode code, String detail) {
    super(code.name(), null, false, false);
    this.code = code;
    this.closesConnection = true;
    this.classId = 0;
    this.methodId = 0;
    this.namesMethod = false;
    this.detail = detail;
  }

  /** An error that closes what its code says: a channel for soft codes, else the connection. */
  public static AmqpException of(ReplyCode code, String format, Object... args) {
    return new AmqpException(code, code.hard(), String.format(Locale.ROOT, format, args), 0, 0);
  }

  /** An error that closes the connection whatever its code (such as 403 on connection.open). */
  public static AmqpException connection(ReplyCode code, String format, Object... args) {
    return new AmqpException(code, true, String.format(Locale.ROOT, format, args), 0, 0);
  }

  /**
   * What RabbitMQ's reader sends when a channel's process crashed (as on content properties that do
   * not decode): connection.close with the code's bare name as text ({@code INTERNAL_ERROR}) and no
   * method, even when a method caused it. {@code detail} is for the broker's log only, where
   * RabbitMQ logs the crash's reason.
   */
  public static AmqpException crashed(ReplyCode code, String detail) {
    return new AmqpException(code, detail);
  }

  /** What the log says beyond the reply text, or null. */
  public String detail() {
    return detail;
  }

  /** 503 COMMAND_INVALID for a method a client may not send. */
  public static AmqpException unexpectedMethod(AmqpMethod method) {
    return new AmqpException(
        ReplyCode.COMMAND_INVALID,
        true,
        "unimplemented method " + method.protocolName(),
        method.protocolClassId(),
        method.protocolMethodId());
  }

  /** The same error, naming the method that caused it in the close frame. */
  public AmqpException causedBy(AmqpMethod method) {
    if (classId != 0 || method == null || !namesMethod) {
      return this;
    }
    return new AmqpException(
        code,
        closesConnection,
        getMessage().substring(code.name().length() + 3),
        method.protocolClassId(),
        method.protocolMethodId());
  }

  public ReplyCode code() {
    return code;
  }

  public boolean closesConnection() {
    return closesConnection;
  }

  /** The reply text sent in the close frame. */
  public String text() {
    return getMessage();
  }

  public int classId() {
    return classId;
  }

  public int methodId() {
    return methodId;
  }
}
