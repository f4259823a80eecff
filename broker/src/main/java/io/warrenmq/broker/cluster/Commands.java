package io.warrenmq.broker.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.ReplyCode;
import java.util.HashMap;
import java.util.Map;

/**
 * The wire form of what nodes tell each other through the cluster: a command or an answer is an
 * AMQP field table (the codec every node already has), so a command can carry queue arguments as
 * clients gave them, types included.
 */
public final class Commands {

  private static final String CODE = "code";
  private static final String TEXT = "text";

  private Commands() {}

  public static byte[] encode(Map<String, ?> table) {
    ByteBuf out = Unpooled.buffer(128);
    try {
      FieldTable.write(out, table);
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }

  public static Map<String, Object> decode(byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    return FieldTable.read(in);
  }

  /** The answer to a command that succeeded with nothing more to say. */
  public static byte[] ok() {
    return encode(Map.of());
  }

  /** The answer to a command refused with an AMQP error, every node alike. */
  public static byte[] refused(AmqpException e) {
    Map<String, Object> answer = new HashMap<>();
    answer.put(CODE, e.code().code());
    String text = e.getMessage();
    String prefix = e.code().name() + " - ";
    answer.put(TEXT, text.startsWith(prefix) ? text.substring(prefix.length()) : text);
    return encode(answer);
  }

  /** The answer to a command an applier failed on: an internal error. */
  static byte[] failure(RuntimeException e) {
    return encode(Map.of(CODE, ReplyCode.INTERNAL_ERROR.code(), TEXT, String.valueOf(e)));
  }

  /**
   * Reads an answer.
   *
   * @throws AmqpException the refusal it carries
   */
  public static Map<String, Object> answer(byte[] bytes) throws AmqpException {
    Map<String, Object> answer = decode(bytes);
    Object code = answer.get(CODE);
    if (code == null) {
      return answer;
    }
    ReplyCode reply = ReplyCode.INTERNAL_ERROR;
    for (ReplyCode c : ReplyCode.values()) {
      if (c.code() == ((Number) code).intValue()) {
        reply = c;
      }
    }
    throw AmqpException.of(reply, "%s", FieldTable.string(answer, TEXT));
  }
}
