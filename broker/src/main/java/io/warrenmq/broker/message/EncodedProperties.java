package io.warrenmq.broker.message;

import io.netty.buffer.ByteBuf;
import io.warrenmq.broker.protocol.BasicProperties;

/**
 * Reads the {@code basic} content header's encoded properties (AMQP 0-9-1 §4.2.6.1) in place: a
 * validating walk that accepts exactly what RabbitMQ decodes, and the offset of one property.
 *
 * <p><b>Why a walk.</b> A message relays the octets it arrived with, so the broker never needs the
 * decoded properties on the common path. RabbitMQ decodes them once, when published, and a header
 * table that does not parse crashes the channel then. {@link #scan} finds the same faults without
 * building anything: it moves an index over the octets, checks each length against what encloses it
 * and each field type against RabbitMQ's list ({@code rabbit_binary_parser}: {@code S T b B s u I i
 * d f l L t D F A x V}), and allocates nothing unless tables nest (one small array then). Its cost
 * is one read of each type letter, name length and value length in the headers, and a handful of
 * reads for the other properties: for a message without headers, about ten instructions.
 */
final class EncodedProperties {

  static final int CONTENT_TYPE = BasicProperties.CONTENT_TYPE_FLAG;
  static final int CONTENT_ENCODING = BasicProperties.CONTENT_ENCODING_FLAG;
  static final int HEADERS = BasicProperties.HEADERS_FLAG;
  static final int DELIVERY_MODE = BasicProperties.DELIVERY_MODE_FLAG;
  static final int PRIORITY = BasicProperties.PRIORITY_FLAG;
  static final int CORRELATION_ID = BasicProperties.CORRELATION_ID_FLAG;
  static final int REPLY_TO = BasicProperties.REPLY_TO_FLAG;
  static final int EXPIRATION = BasicProperties.EXPIRATION_FLAG;
  static final int MESSAGE_ID = BasicProperties.MESSAGE_ID_FLAG;
  static final int TIMESTAMP = BasicProperties.TIMESTAMP_FLAG;
  static final int TYPE = BasicProperties.TYPE_FLAG;
  static final int USER_ID = BasicProperties.USER_ID_FLAG;
  static final int APP_ID = BasicProperties.APP_ID_FLAG;
  static final int CLUSTER_ID = BasicProperties.CLUSTER_ID_FLAG;

  /** A flag word with this bit set would be followed by another (never used, never accepted). */
  private static final int CONTINUATION = 1;

  /** What {@link #scan} returns for properties RabbitMQ would not decode. */
  static final int MALFORMED = -1;

  private static final int FAULT = -1;

  private EncodedProperties() {}

  /**
   * Checks that {@code encoded} (from its reader index to its writer index) holds a flag word and
   * exactly the properties it announces, each well formed.
   *
   * @return {@link #MALFORMED}, or the type letters of the headers' top-level {@code CC} and {@code
   *     BCC} fields (sender-selected distribution): {@code CC}'s in bits 8–15, {@code BCC}'s in
   *     bits 0–7, 0 where absent — so 0 for a message that has neither
   */
  static int scan(ByteBuf encoded) {
    int at = encoded.readerIndex();
    int end = encoded.writerIndex();
    if (end - at < 2) {
      return MALFORMED;
    }
    int flags = encoded.getUnsignedShort(at);
    if ((flags & CONTINUATION) != 0) {
      return MALFORMED;
    }
    at += 2;
    int routing = 0;
    for (int bit = CONTENT_TYPE; bit >= CLUSTER_ID && at >= 0; bit >>>= 1) {
      if ((flags & bit) == 0) {
        continue;
      }
      if (bit == HEADERS) {
        at = longLength(encoded, at, end);
        if (at >= 0) {
          int tableEnd = (int) (at + encoded.getUnsignedInt(at - 4));
          routing = table(encoded, at, tableEnd);
          at = routing < 0 ? FAULT : tableEnd;
        }
      } else {
        at = skip(encoded, at, end, bit);
      }
    }
    return at == end ? routing : MALFORMED;
  }

  /**
   * Where property {@code flag} starts in well-formed {@code encoded}, skipping those before it; -1
   * when its flag is not set.
   */
  static int offset(ByteBuf encoded, int flag) {
    int at = encoded.readerIndex();
    int flags = encoded.getUnsignedShort(at);
    if ((flags & flag) == 0) {
      return -1;
    }
    at += 2;
    for (int bit = CONTENT_TYPE; bit > flag; bit >>>= 1) {
      if ((flags & bit) != 0) {
        at =
            bit == HEADERS
                ? at + 4 + (int) encoded.getUnsignedInt(at)
                : skip(encoded, at, encoded.writerIndex(), bit);
      }
    }
    return at;
  }

  /** Skips one property other than the headers; FAULT when it overruns {@code end}. */
  private static int skip(ByteBuf b, int at, int end, int bit) {
    int size =
        switch (bit) {
          case DELIVERY_MODE, PRIORITY -> 1;
          case TIMESTAMP -> 8;
          default -> at < end ? 1 + b.getUnsignedByte(at) : Integer.MAX_VALUE; // a short string
        };
    return size <= end - at ? at + size : FAULT;
  }

  /**
   * Reads a 4-octet length at {@code at}; the index after it, or FAULT when what it counts
   * overruns.
   */
  private static int longLength(ByteBuf b, int at, int end) {
    if (end - at < 4) {
      return FAULT;
    }
    long length = b.getUnsignedInt(at);
    return length <= end - at - 4 ? at + 4 : FAULT;
  }

  /**
   * Walks the field table in {@code [at, end)} and every table and array inside it, without
   * recursion (a frame may nest thousands deep): {@code stack} keeps, for each enclosing container,
   * its end and whether it is a table (names before values) or an array.
   *
   * @return the CC/BCC type letters as {@link #scan} describes them, or FAULT
   */
  private static int table(ByteBuf b, int at, int end) {
    int routing = 0;
    int[] stack = null;
    int depth = 0;
    boolean inTable = true;
    while (true) {
      if (at == end) {
        if (depth == 0) {
          return routing;
        }
        depth--;
        end = stack[2 * depth];
        inTable = stack[2 * depth + 1] != 0;
        continue;
      }
      int nameAt = at;
      int nameLength = 0;
      if (inTable) {
        nameLength = b.getUnsignedByte(at);
        at += 1 + nameLength;
        if (at >= end) { // the name, and a type letter after it, must fit
          return FAULT;
        }
        nameAt++;
      }
      int type = b.getUnsignedByte(at++);
      if (depth == 0) {
        routing |= routingHeader(b, nameAt, nameLength, type, routing);
      }
      int size;
      switch (type) {
        case 'V' -> size = 0;
        case 't', 'b', 'B' -> size = 1;
        case 's', 'u' -> size = 2;
        case 'I', 'i', 'f' -> size = 4;
        case 'D' -> size = 5;
        case 'l', 'L', 'd', 'T' -> size = 8;
        case 'S', 'x' -> {
          int after = longLength(b, at, end);
          if (after < 0) {
            return FAULT;
          }
          size = 4 + (int) b.getUnsignedInt(at);
        }
        case 'F', 'A' -> {
          int after = longLength(b, at, end);
          if (after < 0) {
            return FAULT;
          }
          if (stack == null) {
            stack = new int[16];
          } else if (2 * depth + 1 >= stack.length) {
            stack = java.util.Arrays.copyOf(stack, stack.length * 2);
          }
          stack[2 * depth] = end;
          stack[2 * depth + 1] = inTable ? 1 : 0;
          depth++;
          end = after + (int) b.getUnsignedInt(at);
          inTable = type == 'F';
          at = after;
          continue;
        }
        default -> {
          return FAULT;
        }
      }
      if (size > end - at) {
        return FAULT;
      }
      at += size;
    }
  }

  /** The CC or BCC bits for a top-level header, the first of each name only (as RabbitMQ looks). */
  private static int routingHeader(ByteBuf b, int at, int length, int type, int seen) {
    if (length == 2 && b.getByte(at) == 'C' && b.getByte(at + 1) == 'C') {
      return (seen & 0xFF00) == 0 ? type << 8 : 0;
    }
    if (length == 3
        && b.getByte(at) == 'B'
        && b.getByte(at + 1) == 'C'
        && b.getByte(at + 2) == 'C') {
      return (seen & 0xFF) == 0 ? type : 0;
    }
    return 0;
  }
}
