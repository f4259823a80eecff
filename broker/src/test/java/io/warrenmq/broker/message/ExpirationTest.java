package io.warrenmq.broker.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The expiration reader, on text and in place on octets, against RabbitMQ's verdicts. */
class ExpirationTest {

  @Test
  void readsWhatRabbitMqAcceptsAndRefusesTheRest() {
    Map<String, Long> cases =
        Map.ofEntries(
            Map.entry("0", 0L),
            Map.entry("-0", 0L),
            Map.entry("+5", 5L),
            Map.entry("007", 7L),
            Map.entry("315360000000", 315_360_000_000L),
            Map.entry("315360000001", -1L),
            Map.entry("99999999999999999999999", -1L),
            Map.entry("-1", -1L),
            Map.entry("", -1L),
            Map.entry("+", -1L),
            Map.entry(" 5", -1L),
            Map.entry("5 ", -1L),
            Map.entry("1.5", -1L),
            Map.entry("٣", -1L)); // an Arabic-Indic digit: not one RabbitMQ reads
    cases.forEach(
        (text, millis) -> {
          assertEquals(millis, Expiration.millis(text), text);
          byte[] octets = text.getBytes(StandardCharsets.UTF_8);
          ByteBuf b = Unpooled.buffer().writeByte(9).writeBytes(octets).writeByte('9');
          assertEquals(millis, Expiration.millis(b, 1, octets.length), text);
        });
  }
}
