package io.warrenmq.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The generated property flags are the bits that encoding sets (AMQP 0-9-1 §4.2.6.1). */
class BasicPropertiesTest {

  @Test
  void eachPropertyIsAnnouncedByItsFlagAlone() {
    Map<UnaryOperator<BasicProperties>, Integer> cases =
        Map.ofEntries(
            Map.entry(p -> p.withContentType("text/plain"), BasicProperties.CONTENT_TYPE_FLAG),
            Map.entry(p -> p.withContentEncoding("gzip"), BasicProperties.CONTENT_ENCODING_FLAG),
            Map.entry(p -> p.withHeaders(Map.of()), BasicProperties.HEADERS_FLAG),
            Map.entry(p -> p.withDeliveryMode(2), BasicProperties.DELIVERY_MODE_FLAG),
            Map.entry(p -> p.withPriority(1), BasicProperties.PRIORITY_FLAG),
            Map.entry(p -> p.withCorrelationId("c"), BasicProperties.CORRELATION_ID_FLAG),
            Map.entry(p -> p.withReplyTo("r"), BasicProperties.REPLY_TO_FLAG),
            Map.entry(p -> p.withExpiration("1000"), BasicProperties.EXPIRATION_FLAG),
            Map.entry(p -> p.withMessageId("m"), BasicProperties.MESSAGE_ID_FLAG),
            Map.entry(p -> p.withTimestamp(1L), BasicProperties.TIMESTAMP_FLAG),
            Map.entry(p -> p.withType("t"), BasicProperties.TYPE_FLAG),
            Map.entry(p -> p.withUserId("u"), BasicProperties.USER_ID_FLAG),
            Map.entry(p -> p.withAppId("a"), BasicProperties.APP_ID_FLAG),
            Map.entry(p -> p.withClusterId("c"), BasicProperties.CLUSTER_ID_FLAG));
    for (Map.Entry<UnaryOperator<BasicProperties>, Integer> c : cases.entrySet()) {
      ByteBuf out = Unpooled.buffer();
      try {
        c.getKey().apply(BasicProperties.EMPTY).encode(out);

        assertEquals(c.getValue(), out.getUnsignedShort(0));
      } finally {
        out.release();
      }
    }
  }
}
