package io.warrenmq.broker.message;

import io.netty.buffer.ByteBuf;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The {@code expiration} property as RabbitMQ reads it ({@code rabbit_basic:parse_expiration}): an
 * optional sign and decimal digits, nothing before or after them, from 0 to ten years of
 * milliseconds. Anything else is refused when published, with RabbitMQ's text, which prints the
 * problem as an Erlang term.
 */
final class Expiration {

  /** RabbitMQ's largest expiry: ten years in milliseconds. */
  static final long MAX = 315_360_000_000L;

  private static final String PREFIX = "invalid expiration '";

  private Expiration() {}

  /** The time to live in {@code text}, or -1 when RabbitMQ would refuse it. */
  static long millis(CharSequence text) {
    long value = 0;
    int length = text.length();
    int at = length > 0 && (text.charAt(0) == '+' || text.charAt(0) == '-') ? 1 : 0;
    if (at == length) {
      return -1;
    }
    for (int i = at; i < length; i++) {
      int digit = text.charAt(i) - '0';
      if (digit < 0 || digit > 9) {
        return -1;
      }
      value = Math.min(value * 10 + digit, MAX + 1);
    }
    return value > MAX || (at == 1 && text.charAt(0) == '-' && value != 0) ? -1 : value;
  }

  /**
   * The time to live in the {@code length} octets at {@code at}, or -1 as {@link
   * #millis(CharSequence)}; reads them in place.
   */
  static long millis(ByteBuf b, int at, int length) {
    long value = 0;
    int end = at + length;
    byte sign = length > 0 ? b.getByte(at) : 0;
    int i = sign == '+' || sign == '-' ? at + 1 : at;
    if (i == end) {
      return -1;
    }
    for (; i < end; i++) {
      int digit = b.getByte(i) - '0';
      if (digit < 0 || digit > 9) {
        return -1;
      }
      value = Math.min(value * 10 + digit, MAX + 1);
    }
    return value > MAX || (sign == '-' && value != 0) ? -1 : value;
  }

  /**
   * RabbitMQ's refusal of {@code expiration}: {@code invalid expiration '10x':
   * {leftover_string,"x"}}, {@code … no_integer}, {@code … {value_negative,-1}} or {@code …
   * {value_too_large,N}}.
   */
  static String refusal(String expiration) {
    byte[] octets = expiration.getBytes(StandardCharsets.UTF_8);
    int at = 0;
    if (octets.length > 0 && (octets[0] == '+' || octets[0] == '-')) {
      at = 1;
    }
    int digits = at;
    while (digits < octets.length && octets[digits] >= '0' && octets[digits] <= '9') {
      digits++;
    }
    String reason;
    if (digits == at) {
      reason = "no_integer";
    } else {
      int column = PREFIX.length() + octets.length + 3;
      if (digits < octets.length) {
        reason = ErlangText.tuple("leftover_string", ErlangText.string(octets, digits), column);
      } else {
        BigInteger n = new BigInteger(new String(octets, 0, digits, StandardCharsets.US_ASCII));
        String atom = n.signum() < 0 ? "value_negative" : "value_too_large";
        reason = ErlangText.tuple(atom, n.toString(), column);
      }
    }
    return PREFIX + expiration + "': " + reason;
  }
}
