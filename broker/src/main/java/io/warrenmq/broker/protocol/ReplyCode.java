package io.warrenmq.broker.protocol;

/**
 * AMQP 0-9-1 reply codes (§1.2), with whether they close the channel (soft) or the connection
 * (hard).
 */
public enum ReplyCode {
  REPLY_SUCCESS(200, false),
  CONTENT_TOO_LARGE(311, false),
  NO_ROUTE(312, false),
  NO_CONSUMERS(313, false),
  CONNECTION_FORCED(320, true),
  INVALID_PATH(402, true),
  ACCESS_REFUSED(403, false),
  NOT_FOUND(404, false),
  RESOURCE_LOCKED(405, false),
  PRECONDITION_FAILED(406, false),
  FRAME_ERROR(501, true),
  SYNTAX_ERROR(502, true),
  COMMAND_INVALID(503, true),
  CHANNEL_ERROR(504, true),
  UNEXPECTED_FRAME(505, true),
  RESOURCE_ERROR(506, true),
  NOT_ALLOWED(530, true),
  NOT_IMPLEMENTED(540, true),
  INTERNAL_ERROR(541, true);

  private final int code;
  private final boolean hard;

  ReplyCode(int code, boolean hard) {
    this.code = code;
    this.hard = hard;
  }

  public int code() {
    return code;
  }

  /** Whether this code closes the whole connection rather than one channel. */
  public boolean hard() {
    return hard;
  }
}
