package io.warrenmq.jms.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.warrenmq.jms.WarrenQueue;
import io.warrenmq.jms.link.AmqpMessage;
import io.warrenmq.jms.link.LinkDelivery;
import jakarta.jms.BytesMessage;
import jakarta.jms.TextMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The AMQP form of JMS messages, and what plain AMQP messages become. */
class MessageCodecTest {

  private static LinkDelivery plain(String contentType, byte[] body) {
    return new LinkDelivery(
        1,
        false,
        "",
        "q",
        new AmqpMessage(
            contentType,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            body));
  }

  @Test
  void textualContentTypesBecomeTextMessagesInTheirCharset() throws Exception {
    byte[] latin1 = "café".getBytes(StandardCharsets.ISO_8859_1);
    TextMessage m =
        assertInstanceOf(
            TextMessage.class,
            MessageCodec.fromAmqp(plain("text/plain; charset=ISO-8859-1", latin1), List.of()));
    assertEquals("café", m.getText());
    assertInstanceOf(
        TextMessage.class,
        MessageCodec.fromAmqp(plain("application/vnd.api+json", new byte[0]), List.of()));
  }

  @Test
  void otherContentAndNoContentTypeBecomeBytesMessages() throws Exception {
    assertInstanceOf(
        BytesMessage.class, MessageCodec.fromAmqp(plain("image/png", new byte[1]), List.of()));
    assertInstanceOf(
        BytesMessage.class, MessageCodec.fromAmqp(plain(null, new byte[1]), List.of()));
  }

  @Test
  void jmsOnlyHeadersTravelInXJmsHeadersAndPropertiesAsTheirOwnHeaders() throws Exception {
    WarrenTextMessage m = new WarrenTextMessage();
    m.setText("x");
    m.setJMSTimestamp(1234);
    m.setJMSDeliveryTime(5678);
    m.setIntProperty("n", 1);
    AmqpMessage a = MessageCodec.toAmqp(m, new WarrenQueue("q"), "link-1");
    Map<String, Object> h = a.headers();
    assertEquals("text", h.get(MessageCodec.BODY_KIND));
    assertEquals(1234L, h.get(MessageCodec.TIMESTAMP));
    assertEquals(5678L, h.get(MessageCodec.DELIVERY_TIME));
    assertEquals("q", h.get(MessageCodec.DESTINATION));
    assertEquals("link-1", h.get(MessageCodec.SENDER));
    assertEquals(1, h.get("n"));
    assertEquals("text/plain", a.contentType());
    assertEquals(2, a.deliveryMode());
  }
}
