package io.warrenmq.broker.message;

import java.nio.charset.StandardCharsets;

/**
 * Erlang terms as RabbitMQ's reply texts print them with {@code ~p}, for the few shapes the publish
 * checks report. Strings are lists of octets: printed in quotes when every octet is printable
 * Latin-1, else as a list of numbers; a tuple that would reach past column 78 breaks after its
 * first element and indents the rest under it.
 */
final class ErlangText {

  /** The last column a term printed on one line may reach (measured against RabbitMQ 3.10). */
  private static final int LINE = 78;

  private ErlangText() {}

  /** The octets of {@code octets} from {@code from} on, as an Erlang string or list. */
  static String string(byte[] octets, int from) {
    StringBuilder quoted = new StringBuilder("\"");
    for (int i = from; i < octets.length; i++) {
      int c = octets[i] & 0xFF;
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\r' -> quoted.append("\\r");
        case '\t' -> quoted.append("\\t");
        case 0x0B -> quoted.append("\\v");
        case '\b' -> quoted.append("\\b");
        case '\f' -> quoted.append("\\f");
        case 0x1B -> quoted.append("\\e");
        default -> {
          if ((c < 0x20 || c > 0x7E) && c < 0xA0) {
            return list(octets, from);
          }
          quoted.append((char) c);
        }
      }
    }
    // Octets above 0x7F stand for themselves: as RabbitMQ sends them, they form the UTF-8 they
    // were.
    byte[] latin1 = quoted.append('"').toString().getBytes(StandardCharsets.ISO_8859_1);
    return new String(latin1, StandardCharsets.UTF_8);
  }

  private static String list(byte[] octets, int from) {
    StringBuilder list = new StringBuilder("[");
    for (int i = from; i < octets.length; i++) {
      list.append(i == from ? "" : ",").append(octets[i] & 0xFF);
    }
    return list.append(']').toString();
  }

  /** {@code {atom,element}} as printed from {@code column} on. */
  static String tuple(String atom, String element, int column) {
    int width = atom.length() + element.getBytes(StandardCharsets.UTF_8).length + 3;
    if (column + width <= LINE) {
      return "{" + atom + "," + element + "}";
    }
    return "{" + atom + ",\n" + " ".repeat(column + 1) + element + "}";
  }
}
