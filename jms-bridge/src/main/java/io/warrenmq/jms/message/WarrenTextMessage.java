package io.warrenmq.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.TextMessage;
import java.nio.charset.StandardCharsets;

/** A TextMessage; its AMQP body is the text in UTF-8, content type {@code text/plain}. */
public class WarrenTextMessage extends WarrenMessage implements TextMessage {
  private String text;

  @Override
  public void setText(String text) throws JMSException {
    checkWritable();
    this.text = text;
  }

  @Override
  public String getText() {
    return text;
  }

  @Override
  public void clearBody() throws JMSException {
    super.clearBody();
    text = null;
  }

  @Override
  protected Object bodyValue() {
    return text;
  }

  @Override
  public byte[] encodeBody() {
    return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String bodyKind() {
    return "text";
  }
}
