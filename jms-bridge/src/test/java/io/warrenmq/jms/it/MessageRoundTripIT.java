package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.MessageProducer;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import jakarta.jms.TextMessage;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every message type, every header and every property type survives a trip through a queue. */
class MessageRoundTripIT extends JmsTestSupport {
  Session session;
  Queue queue;
  MessageProducer producer;
  MessageConsumer consumer;

  @BeforeEach
  void openQueue() throws Exception {
    Connection connection = connection();
    session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
    queue = session.createQueue(unique("round-trip"));
    producer = session.createProducer(queue);
    consumer = session.createConsumer(queue);
  }

  <T extends Message> T roundTrip(T message, Class<T> type) throws Exception {
    producer.send(message);
    Message received = consumer.receive(WAIT_MILLIS);
    return type.cast(assertInstanceOf(type, received));
  }

  @Test
  void textMessageKeepsItsTextIncludingNonAscii() throws Exception {
    TextMessage m = roundTrip(session.createTextMessage("grüße, 世界"), TextMessage.class);
    assertEquals("grüße, 世界", m.getText());
    assertEquals("grüße, 世界", m.getBody(String.class));
  }

  @Test
  void bytesMessageKeepsItsTypedContent() throws Exception {
    BytesMessage out = session.createBytesMessage();
    out.writeInt(42);
    out.writeUTF("utf");
    out.writeBytes(new byte[] {1, 2, 3});
    out.writeDouble(1.5);
    BytesMessage in = roundTrip(out, BytesMessage.class);
    assertEquals(4 + 5 + 3 + 8, in.getBodyLength());
    assertEquals(42, in.readInt());
    assertEquals("utf", in.readUTF());
    byte[] three = new byte[3];
    assertEquals(3, in.readBytes(three));
    assertArrayEquals(new byte[] {1, 2, 3}, three);
    assertEquals(1.5, in.readDouble());
    assertThrows(MessageEOFException.class, in::readByte);
    assertThrows(MessageNotWriteableException.class, () -> in.writeInt(1));
  }

  @Test
  void mapMessageKeepsEveryValueTypeAndConvertsAsTheSpecSays() throws Exception {
    MapMessage out = session.createMapMessage();
    out.setBoolean("bool", true);
    out.setByte("byte", (byte) 7);
    out.setShort("short", (short) 300);
    out.setChar("char", 'c');
    out.setInt("int", 70_000);
    out.setLong("long", 1L << 40);
    out.setFloat("float", 1.25f);
    out.setDouble("double", 2.5);
    out.setString("string", "text");
    out.setBytes("bytes", new byte[] {9, 8});
    out.setString("number", "123");
    MapMessage in = roundTrip(out, MapMessage.class);
    assertTrue(in.getBoolean("bool"));
    assertEquals(7, in.getByte("byte"));
    assertEquals(300, in.getShort("short"));
    assertEquals('c', in.getChar("char"));
    assertEquals(70_000, in.getInt("int"));
    assertEquals(1L << 40, in.getLong("long"));
    assertEquals(1.25f, in.getFloat("float"));
    assertEquals(2.5, in.getDouble("double"));
    assertEquals("text", in.getString("string"));
    assertArrayEquals(new byte[] {9, 8}, in.getBytes("bytes"));
    assertEquals(7L, in.getLong("byte"));
    assertEquals(123, in.getInt("number"));
    assertThrows(MessageFormatException.class, () -> in.getInt("long"));
    assertThrows(MessageNotWriteableException.class, () -> in.setInt("x", 1));
  }

  @Test
  void streamMessageKeepsItsValuesInOrder() throws Exception {
    StreamMessage out = session.createStreamMessage();
    out.writeString("first");
    out.writeInt(2);
    out.writeBoolean(true);
    out.writeBytes(new byte[] {5});
    out.writeObject(null);
    StreamMessage in = roundTrip(out, StreamMessage.class);
    assertEquals("first", in.readString());
    assertEquals(2L, in.readLong());
    assertEquals("true", in.readString());
    byte[] buffer = new byte[4];
    assertEquals(1, in.readBytes(buffer));
    assertEquals(5, buffer[0]);
    assertNull(in.readObject());
    assertThrows(MessageEOFException.class, in::readInt);
  }

  record Point(int x, int y) implements Serializable {}

  @Test
  void objectMessageDeserializesTrustedClassesOnly() throws Exception {
    ArrayList<Object> list = new ArrayList<>(List.of("a", 1, 2L));
    ObjectMessage in = roundTrip(session.createObjectMessage(list), ObjectMessage.class);
    assertEquals(list, in.getObject());

    ObjectMessage untrusted =
        roundTrip(session.createObjectMessage(new Point(1, 2)), ObjectMessage.class);
    assertThrows(MessageFormatException.class, untrusted::getObject);
  }

  @Test
  void objectMessageOfAPackageTheFactoryTrustsDeserializes() throws Exception {
    var factory = factory();
    factory.setTrustedPackages(List.of("java", "io.warrenmq.jms.it"));
    Connection c = track(factory.createConnection());
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue own = s.createQueue(unique("trusted"));
    s.createProducer(own).send(s.createObjectMessage(new Point(3, 4)));
    ObjectMessage in = (ObjectMessage) s.createConsumer(own).receive(WAIT_MILLIS);
    assertEquals(new Point(3, 4), in.getObject());
  }

  @Test
  void plainMessageCarriesHeadersAndPropertiesOfEveryType() throws Exception {
    Message out = session.createMessage();
    out.setBooleanProperty("aBoolean", true);
    out.setByteProperty("aByte", (byte) -1);
    out.setShortProperty("aShort", (short) 2);
    out.setIntProperty("anInt", 3);
    out.setLongProperty("aLong", 4L);
    out.setFloatProperty("aFloat", 5.5f);
    out.setDoubleProperty("aDouble", 6.5);
    out.setStringProperty("aString", "seven");
    out.setJMSCorrelationID("corr-1");
    out.setJMSType("OrderPlaced");
    Queue replyTo = session.createQueue("replies");
    out.setJMSReplyTo(replyTo);
    producer.send(out, DeliveryMode.NON_PERSISTENT, 7, 60_000);
    long sentAt = out.getJMSTimestamp();

    Message in = consumer.receive(WAIT_MILLIS);
    assertEquals(out.getJMSMessageID(), in.getJMSMessageID());
    assertTrue(in.getJMSMessageID().startsWith("ID:"));
    assertEquals(sentAt, in.getJMSTimestamp());
    assertEquals(out.getJMSExpiration(), in.getJMSExpiration());
    assertEquals(sentAt + 60_000, in.getJMSExpiration());
    assertEquals(sentAt, in.getJMSDeliveryTime());
    assertEquals("corr-1", in.getJMSCorrelationID());
    assertEquals("OrderPlaced", in.getJMSType());
    assertEquals(replyTo, in.getJMSReplyTo());
    assertEquals(queue, in.getJMSDestination());
    assertEquals(DeliveryMode.NON_PERSISTENT, in.getJMSDeliveryMode());
    assertEquals(7, in.getJMSPriority());
    assertFalse(in.getJMSRedelivered());
    assertEquals(1, in.getIntProperty("JMSXDeliveryCount"));
    assertTrue(in.getBooleanProperty("aBoolean"));
    assertEquals((byte) -1, in.getByteProperty("aByte"));
    assertEquals((short) 2, in.getShortProperty("aShort"));
    assertEquals(3, in.getIntProperty("anInt"));
    assertEquals(4L, in.getLongProperty("aLong"));
    assertEquals(5.5f, in.getFloatProperty("aFloat"));
    assertEquals(6.5, in.getDoubleProperty("aDouble"));
    assertEquals("seven", in.getStringProperty("aString"));
    assertEquals("3", in.getStringProperty("anInt"));
    assertThrows(MessageNotWriteableException.class, () -> in.setIntProperty("x", 1));
    in.clearProperties();
    in.setIntProperty("x", 1);
  }

  @Test
  void persistentIsTheDefaultDeliveryModeAndFourTheDefaultPriority() throws Exception {
    Message in = roundTrip(session.createMessage(), Message.class);
    assertEquals(DeliveryMode.PERSISTENT, in.getJMSDeliveryMode());
    assertEquals(4, in.getJMSPriority());
    assertEquals(0, in.getJMSExpiration());
  }

  @Test
  void invalidPropertyNamesAreRefused() throws Exception {
    Message m = session.createMessage();
    assertThrows(IllegalArgumentException.class, () -> m.setIntProperty("not-valid", 1));
    assertThrows(IllegalArgumentException.class, () -> m.setIntProperty("AND", 1));
    assertThrows(IllegalArgumentException.class, () -> m.setIntProperty("", 1));
    assertThrows(MessageFormatException.class, () -> m.setObjectProperty("list", List.of()));
  }

  @Test
  void aTimeToLiveBeyondTheBrokersLongestIsSentAsItsLongest() throws Exception {
    long twentyYears = 20L * 365 * 24 * 3600 * 1000;
    TextMessage out = session.createTextMessage("long-lived");
    producer.send(out, DeliveryMode.PERSISTENT, 4, twentyYears);
    TextMessage in = assertInstanceOf(TextMessage.class, consumer.receive(WAIT_MILLIS));
    assertEquals("long-lived", in.getText());
    assertEquals(out.getJMSExpiration(), in.getJMSExpiration());
  }

  /**
   * What the wire cannot carry is refused when sent, as the RabbitMQ Java client refuses it — in-VM
   * too, where properties stay objects until a network consumer or the store needs their octets —
   * and the next send is confirmed as usual (the network link checks before the client takes a
   * confirm number).
   */
  @Test
  void propertiesTooLongForTheWireAreRefusedAndTheSessionGoesOn() throws Exception {
    Message tooLong = session.createMessage();
    tooLong.setJMSCorrelationID("c".repeat(256));
    assertThrows(JMSException.class, () -> producer.send(tooLong));
    Message tooLongName = session.createMessage();
    tooLongName.setIntProperty("p".repeat(256), 1);
    assertThrows(JMSException.class, () -> producer.send(tooLongName));
    assertEquals(
        "after", roundTrip(session.createTextMessage("after"), TextMessage.class).getText());
  }
}
