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

  private AmqpException(
      ReplyCode code, boolean closesConnection, String text, int classId, int methodId) {
    super(code.name() + " - " + text, null, false, false);
    this.code = code;
    this.closesConnection = closesConnection;
    this.classId = classId;
    this.methodId = methodId;
  }

  /** An error that closes what its code says: a channel for soft codes, else the connection. */
  public static AmqpException of(ReplyCode code, String format, Object... args) {
    return new AmqpException(code, code.hard(), String.format(Locale.ROOT, format, args), 0, 0);
  }

  /** An error that closes the connection whatever its code (such as 403 on connection.open). */
  public static AmqpException connection(ReplyCode code, String format, Object... args) {
    return new AmqpException(code, true, String.format(Locale.ROOT, format, args), 0, 0);
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
    if (classId != 0 || method == null) {
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
