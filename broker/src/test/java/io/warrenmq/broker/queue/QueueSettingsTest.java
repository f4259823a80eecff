package io.warrenmq.broker.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.warrenmq.broker.protocol.LongString;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueSettingsTest {

  @Test
  void argumentsAsTheyArriveFromTheWireAreParsed() {
    QueueSettings s =
        QueueSettings.of(
            Map.of(
                "x-queue-type", longstr("quorum"),
                "x-max-length", 10,
                "x-overflow", longstr("reject-publish"),
                "x-delivery-limit", 3L,
                "x-dead-letter-exchange", longstr("dlx")));
    assertEquals(QueueType.QUORUM, s.type());
    assertEquals(10, s.maxLength());
    assertEquals(QueueSettings.Overflow.REJECT_PUBLISH, s.overflow());
    assertEquals(3, s.deliveryLimit());
    assertEquals("dlx", s.deadLetterExchange());
  }

  private static LongString longstr(String s) {
    return LongString.of(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
