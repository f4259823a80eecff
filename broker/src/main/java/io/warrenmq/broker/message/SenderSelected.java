package io.warrenmq.broker.message;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.protocol.ReplyCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sender-selected distribution, RabbitMQ's extension ({@code rabbit_basic:header_routes}): the
 * {@code CC} and {@code BCC} headers, arrays of long strings, give a message further routing keys
 * on the exchange it is published to. Receivers see {@code CC}; {@code BCC} is removed before the
 * message is enqueued. Array entries that are not long strings are ignored; a header that is not an
 * array refuses the message (406).
 *
 * <p>Only messages that carry one of the two headers pay for this: the publish checks' walk noted
 * their types without decoding anything, and only then are the properties decoded here.
 */
public final class SenderSelected {

  public static final String CC = "CC";
  public static final String BCC = "BCC";

  private SenderSelected() {}

  /** Refuses a CC, then a BCC, header that is not an array, with RabbitMQ's text. */
  static void check(Message message) throws AmqpException {
    if (message.received()) { // the walk noted the wire types
      int found = message.routingHeaders();
      check(CC, found >>> 8);
      check(BCC, found & 0xFF);
      return;
    }
    Map<String, Object> headers = message.properties().headers();
    if (headers != null) {
      check(CC, headers);
      check(BCC, headers);
    }
  }

  private static void check(String header, Map<String, Object> headers) throws AmqpException {
    if (headers.containsKey(header) && !(headers.get(header) instanceof List<?>)) {
      throw unacceptable(header, FieldTable.typeName(headers.get(header)));
    }
  }

  private static void check(String header, int type) throws AmqpException {
    if (type != 0 && type != 'A') {
      throw unacceptable(header, FieldTable.typeName(type));
    }
  }

  private static AmqpException unacceptable(String header, String type) {
    return AmqpException.of(
        ReplyCode.PRECONDITION_FAILED,
        "invalid message: {unacceptable_type_in_header,\"%s\",%s}",
        header,
        type);
  }

  /**
   * Gives a checked message its CC and BCC routing keys and removes its BCC header.
   *
   * @return {@code message}, or a copy without BCC (then {@code message} is released)
   */
  static Message apply(Message message) {
    if (message.received() && message.routingHeaders() == 0) {
      return message; // the common case: neither header, nothing decoded
    }
    Map<String, Object> headers = message.properties().headers();
    if (headers == null || !(headers.containsKey(CC) || headers.containsKey(BCC))) {
      return message;
    }
    List<String> keys = headerKeys(headers);
    Message routed = message;
    if (headers.containsKey(BCC)) {
      Map<String, Object> visible = new LinkedHashMap<>(headers);
      visible.remove(BCC);
      routed = message.withProperties(message.properties().withHeaders(visible));
      message.release();
    }
    if (!keys.isEmpty()) {
      routed.senderSelectedKeys(keys);
    }
    return routed;
  }

  /**
   * The routing keys that {@code headers} select, as RabbitMQ's {@code header_routes} lists them:
   * the long strings of the {@code CC} array, then of the {@code BCC} array.
   */
  public static List<String> headerKeys(Map<String, Object> headers) {
    List<String> keys = new ArrayList<>();
    if (headers != null) {
      listed(headers.get(CC), keys);
      listed(headers.get(BCC), keys);
    }
    return keys;
  }

  /**
   * The further routing keys of {@code message}: those it was published with, or — for a message
   * read back from the store, which keeps no routing keys but its own — its {@code CC} header's.
   */
  public static List<String> keysOf(Message message) {
    List<String> keys = message.senderSelectedKeys();
    return keys != null ? keys : headerKeys(message.properties().headers());
  }

  private static void listed(Object headerValue, List<String> keys) {
    if (headerValue instanceof List<?> entries) {
      for (Object entry : entries) {
        if (entry instanceof LongString || entry instanceof CharSequence) {
          keys.add(entry.toString());
        }
      }
    }
  }
}
