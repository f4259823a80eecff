package io.warrenmq.broker.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.protocol.BasicProperties;
import io.warrenmq.broker.protocol.LongString;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The validating walk against the decoder as an oracle: on well-formed properties and on thousands
 * of damaged copies (octets changed, cut short, lengthened), the walk accepts exactly what decodes
 * to the last octet.
 */
class EncodedPropertiesTest {

  @Test
  void acceptsExactlyWhatDecodesCompletely() {
    Random random = new Random(42);
    int accepted = 0;
    for (int round = 0; round < 20_000; round++) {
      byte[] octets = encode(randomProperties(random));
      damage(octets, random, round);
      boolean decodes = decodesCompletely(octets);
      accepted += decodes ? 1 : 0;
      int scan = EncodedProperties.scan(Unpooled.wrappedBuffer(octets));
      assertEquals(decodes, scan != EncodedProperties.MALFORMED, () -> hex(octets));
    }
    // Both verdicts must have been tried many times for the comparison to mean something.
    int total = 20_000;
    org.junit.jupiter.api.Assertions.assertTrue(accepted > total / 10 && accepted < total * 9 / 10);
  }

  @Test
  void reportsTheTypesOfTopLevelCcAndBccHeaders() {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("x", Map.of("CC", 1)); // nested: not a routing header
    headers.put("CC", List.of(LongString.of("a".getBytes(StandardCharsets.UTF_8))));
    headers.put("BCC", 5);
    assertEquals(('A' << 8) | 'I', scan(headers));
    assertEquals('S' << 8, scan(Map.of("CC", "k")));
    assertEquals('V', scan(singleton("BCC", null)));
    assertEquals(0, scan(Map.of("cc", "k", "CCC", "k")));
  }

  @Test
  void walksTablesNestedDeeperThanAStackWouldAllow() {
    int depth = 50_000;
    ByteBuf table = Unpooled.buffer();
    table.writeShort(1 << 13);
    int total = 4 + 2 + 5 * depth; // the outer table: one entry named "a", then nested arrays
    table.writeInt(total - 4);
    table.writeByte(1).writeByte('a');
    for (int i = 0; i < depth; i++) {
      int remaining = 5 * (depth - i) - 5;
      table.writeByte('A').writeInt(remaining);
    }
    assertEquals(0, EncodedProperties.scan(table));
    table.setInt(2 + 4 + 2 + 5 * (depth - 1) + 1, 1); // the innermost array claims an octet
    assertEquals(EncodedProperties.MALFORMED, EncodedProperties.scan(table));
  }

  private static int scan(Map<String, Object> headers) {
    ByteBuf b = Unpooled.buffer();
    BasicProperties.EMPTY.withHeaders(headers).encode(b);
    return EncodedProperties.scan(b);
  }

  private static Map<String, Object> singleton(String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(key, value);
    return m;
  }

  private static boolean decodesCompletely(byte[] octets) {
    ByteBuf b = Unpooled.wrappedBuffer(octets);
    try {
      BasicProperties.decode(b);
      return !b.isReadable();
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] encode(BasicProperties p) {
    ByteBuf b = Unpooled.buffer();
    p.encode(b);
    byte[] octets = new byte[b.readableBytes()];
    b.readBytes(octets);
    return octets;
  }

  /** Changes one octet, or none; the caller cuts or extends through {@link #damage}'s cases. */
  private static void damage(byte[] octets, Random random, int round) {
    switch (round % 4) {
      case 0 -> {} // intact
      case 1 -> octets[random.nextInt(octets.length)] = (byte) random.nextInt(256);
      case 2 -> octets[random.nextInt(octets.length)] ^= (byte) (1 << random.nextInt(8));
      default -> {
        int at = random.nextInt(octets.length);
        octets[at] = (byte) (octets[at] + (random.nextBoolean() ? 1 : -1));
      }
    }
    if (round % 7 == 0) {
      octets[1] |= 1; // the continuation flag
    }
  }

  private static BasicProperties randomProperties(Random random) {
    BasicProperties p = BasicProperties.EMPTY;
    if (random.nextBoolean()) {
      p = p.withContentType("text/plain");
    }
    if (random.nextInt(4) > 0) {
      p = p.withHeaders(randomTable(random, 0));
    }
    if (random.nextBoolean()) {
      p = p.withDeliveryMode(2);
    }
    if (random.nextBoolean()) {
      p = p.withExpiration(Integer.toString(random.nextInt(100_000)));
    }
    if (random.nextBoolean()) {
      p = p.withTimestamp(1_700_000_000L);
    }
    if (random.nextBoolean()) {
      p = p.withAppId("app");
    }
    return p;
  }

  private static Map<String, Object> randomTable(Random random, int depth) {
    Map<String, Object> table = new LinkedHashMap<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      table.put("k" + i, randomValue(random, depth));
    }
    return table;
  }

  private static Object randomValue(Random random, int depth) {
    return switch (random.nextInt(depth < 3 ? 13 : 11)) {
      case 0 -> true;
      case 1 -> (byte) 7;
      case 2 -> (short) 300;
      case 3 -> 70_000;
      case 4 -> 5_000_000_000L;
      case 5 -> 1.5f;
      case 6 -> 2.5d;
      case 7 -> new BigDecimal("12.34");
      case 8 -> "text";
      case 9 -> Instant.ofEpochSecond(1_700_000_000L);
      case 10 -> new byte[] {1, 2, 3};
      case 11 -> randomTable(random, depth + 1);
      default -> List.of(randomValue(random, depth + 1), randomValue(random, depth + 1));
    };
  }

  private static String hex(byte[] octets) {
    StringBuilder s = new StringBuilder();
    for (byte b : octets) {
      s.append(String.format("%02x ", b));
    }
    return s.toString();
  }
}
