package io.warrenmq.jms;

import io.warrenmq.jms.message.WarrenBytesMessage;
import io.warrenmq.jms.message.WarrenMapMessage;
import io.warrenmq.jms.message.WarrenMessage;
import io.warrenmq.jms.message.WarrenObjectMessage;
import io.warrenmq.jms.message.WarrenStreamMessage;
import io.warrenmq.jms.message.WarrenTextMessage;
import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageEOFException;
import jakarta.jms.ObjectMessage;
import jakarta.jms.StreamMessage;
import jakarta.jms.TextMessage;

/** Copies a message of another provider into one of ours before sending (§3.12). */
final class ForeignMessages {
  private ForeignMessages() {}

  static WarrenMessage toWarren(Message m) throws JMSException {
    if (m instanceof WarrenMessage w) {
      return w;
    }
    WarrenMessage copy;
    if (m instanceof TextMessage t) {
      WarrenTextMessage c = new WarrenTextMessage();
      c.setText(t.getText());
      copy = c;
    } else if (m instanceof BytesMessage b) {
      WarrenBytesMessage c = new WarrenBytesMessage();
      b.reset();
      byte[] body = new byte[(int) b.getBodyLength()];
      b.readBytes(body);
      c.writeBytes(body);
      copy = c;
    } else if (m instanceof MapMessage map) {
      WarrenMapMessage c = new WarrenMapMessage();
      java.util.Enumeration<?> names = map.getMapNames();
      while (names.hasMoreElements()) {
        String name = (String) names.nextElement();
        c.setObject(name, map.getObject(name));
      }
      copy = c;
    } else if (m instanceof StreamMessage s) {
      WarrenStreamMessage c = new WarrenStreamMessage();
      s.reset();
      try {
        while (true) {
          c.writeObject(s.readObject());
        }
      } catch (MessageEOFException end) {
        // copied every value
      }
      copy = c;
    } else if (m instanceof ObjectMessage o) {
      WarrenObjectMessage c = new WarrenObjectMessage();
      c.setObject(o.getObject());
      copy = c;
    } else {
      copy = new WarrenMessage();
    }
    java.util.Enumeration<?> names = m.getPropertyNames();
    while (names.hasMoreElements()) {
      String name = (String) names.nextElement();
      copy.putProperty(name, m.getObjectProperty(name));
    }
    copy.setJMSMessageID(m.getJMSMessageID());
    copy.setJMSTimestamp(m.getJMSTimestamp());
    copy.setJMSCorrelationID(m.getJMSCorrelationID());
    copy.setJMSReplyTo(m.getJMSReplyTo());
    copy.setJMSDestination(m.getJMSDestination());
    copy.setJMSDeliveryMode(m.getJMSDeliveryMode());
    copy.setJMSType(m.getJMSType());
    copy.setJMSExpiration(m.getJMSExpiration());
    copy.setJMSDeliveryTime(m.getJMSDeliveryTime());
    copy.setJMSPriority(m.getJMSPriority());
    return copy;
  }
}
