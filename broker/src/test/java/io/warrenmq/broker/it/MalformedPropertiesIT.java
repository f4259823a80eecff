package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.RawAmqp.args;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.rabbitmq.client.Connection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Content header properties that do not decode (AMQP 0-9-1 §4.2.6.1, with RabbitMQ's field types):
 * RabbitMQ decodes them when the message is published, its channel crashes, and the connection
 * closes with 541 INTERNAL_ERROR naming no method. Nothing is enqueued. Well-formed properties,
 * even unusual ones, are relayed exactly as they were sent.
 */
class MalformedPropertiesIT extends BrokerTestSupport {

  private static final int CONTENT_TYPE = 1 << 15;
  private static final int HEADERS = 1 << 13;
  private static final int DELIVERY_MODE = 1 << 12;
  private static final int CORRELATION_ID = 1 << 10;

  private String queue;

  @BeforeEach
  void declareQueue() throws Exception {
    queue = uniqueName("malformed");
    try (Connection c = connectionFactory().newConnection()) {
      c.createChannel().queueDeclare(queue, false, false, false, null);
    }
  }

  @AfterEach
  void deleteQueue() throws Exception {
    try (Connection c = connectionFactory().newConnection()) {
      c.createChannel().queueDelete(queue);
    }
  }

  static Stream<Arguments> malformedProperties() {
    return Stream.of(
        Arguments.of(
            "headers table longer than the frame", headers(100, entry("a", 'S', 0, 0, 0, 1, 'x'))),
        Arguments.of("unknown field type", headers(3, bytes(1, 'a', 'Z'))),
        Arguments.of(
            "long string overruns its table", headers(8, bytes(1, 'a', 'S', 0, 0, 0, 9, 'x'))),
        Arguments.of("field name overruns its table", headers(3, bytes(5, 'a', 'b'))),
        Arguments.of("name without a value", headers(2, bytes(1, 'a'))),
        Arguments.of("integer cut short", headers(5, bytes(1, 'a', 'I', 0, 0))),
        Arguments.of(
            "unknown type inside an array", headers(9, bytes(1, 'a', 'A', 0, 0, 0, 2, 'Z', 0))),
        Arguments.of(
            "array longer than its table", headers(9, bytes(1, 'a', 'A', 0, 0, 0, 9, 'V', 'V'))),
        Arguments.of(
            "nested table entry cut short",
            headers(10, bytes(1, 'a', 'F', 0, 0, 0, 3, 1, 'b', 'I'))),
        Arguments.of(
            "short string longer than what is left",
            args().shortInt(CONTENT_TYPE).octet(50).raw(bytes('a', 'b', 'c')).bytes()),
        Arguments.of(
            "octets after the last property",
            args().shortInt(CONTENT_TYPE).shortString("text/plain").raw(bytes(1, 2, 3)).bytes()),
        Arguments.of("delivery mode missing", args().shortInt(DELIVERY_MODE).bytes()),
        Arguments.of("flag continuation bit", args().shortInt(1).shortInt(0).bytes()),
        Arguments.of("no property flags", new byte[0]),
        Arguments.of("half a flag word", bytes(0)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedProperties")
  void malformedPropertiesCloseTheConnectionWith541AndEnqueueNothing(String what, byte[] properties)
      throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      publish(raw, properties, bytes('b'));
      assertEquals(
          new RawAmqp.Close(541, "INTERNAL_ERROR", 0, 0),
          raw.awaitConnectionClose(Duration.ofSeconds(30)));
    }
    try (Connection c = connectionFactory().newConnection()) {
      assertNull(c.createChannel().basicGet(queue, true), "nothing was enqueued");
    }
  }

  @Test
  void malformedPropertiesOnAnotherChannelCloseTheConnectionToo() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.openChannel(2);
      publish(raw, args().shortInt(CONTENT_TYPE).bytes(), bytes('a')); // missing content type
      assertEquals(
          new RawAmqp.Close(541, "INTERNAL_ERROR", 0, 0),
          raw.awaitConnectionClose(Duration.ofSeconds(30)));
    }
  }

  @Test
  void unusualButWellFormedPropertiesAreRelayedOctetForOctet() throws Exception {
    byte[] table =
        concat(
            entry("long-L", 'L', 0, 0, 0, 0, 0, 0, 0, 7), // RabbitMQ reads 'L' as a long
            entry("empty", 'S', 0, 0, 0, 0),
            bytes(0, 'V'), // an empty field name
            entry("bytes", 'x', 0, 0, 0, 2, 0xFF, 0),
            entry("nested", 'A', 0, 0, 0, 14, 'F', 0, 0, 0, 8, 1, 'k', 'D', 2, 0, 0, 0, 0, 'V'),
            entry("decimal", 'D', 2, 0, 0, 1, 0));
    byte[] properties =
        args()
            .shortInt(CONTENT_TYPE | HEADERS | CORRELATION_ID)
            .octet(2)
            .raw(bytes(0xC3, 0x28)) // not UTF-8: RabbitMQ does not look
            .longInt(table.length)
            .raw(table)
            .shortString("")
            .bytes();
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      publish(raw, properties, bytes('b'));
      raw.openChannel(2); // a round trip: the publish on channel 1 came first
      assertArrayEquals(properties, getProperties(raw, 3));
    }
  }

  /** basic.get on a fresh channel, polling until a message comes; its header's properties. */
  private byte[] getProperties(RawAmqp raw, int channel) throws IOException {
    raw.openChannel(channel);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      raw.sendMethod(channel, 60, 70, args().shortInt(0).shortString(queue).octet(1).bytes());
      while (true) {
        RawAmqp.Frame f = raw.readFrame(deadline);
        if (f == null) {
          throw new IOException("connection ended");
        }
        if (f.isMethod(60, 72)) { // get-empty
          break;
        }
        if (f.type() == RawAmqp.HEADER) {
          return Arrays.copyOfRange(f.payload(), 12, f.payload().length);
        }
      }
    }
    throw new AssertionError("no message in " + queue);
  }

  private void publish(RawAmqp raw, byte[] properties, byte[] body) throws IOException {
    raw.sendMethod(
        1, 60, 40, args().shortInt(0).shortString("").shortString(queue).octet(0).bytes());
    raw.sendFrame(
        RawAmqp.HEADER,
        1,
        args().shortInt(60).shortInt(0).longLong(body.length).raw(properties).bytes());
    raw.sendFrame(RawAmqp.BODY, 1, body);
  }

  /** Properties with only a headers table: its stated length, then {@code content}. */
  private static byte[] headers(int statedLength, byte[] content) {
    return args().shortInt(HEADERS).longInt(statedLength).raw(content).bytes();
  }

  /** A table entry: the name as a short string, the type letter, the value's octets. */
  private static byte[] entry(String name, int type, int... value) {
    return args().shortString(name).octet(type).raw(bytes(value)).bytes();
  }

  private static byte[] bytes(int... octets) {
    byte[] b = new byte[octets.length];
    for (int i = 0; i < octets.length; i++) {
      b[i] = (byte) octets[i];
    }
    return b;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
