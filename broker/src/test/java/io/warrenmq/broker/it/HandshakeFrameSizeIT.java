package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.RawAmqp.BODY;
import static io.warrenmq.broker.it.RawAmqp.HEADER;
import static io.warrenmq.broker.it.RawAmqp.METHOD;
import static io.warrenmq.broker.it.RawAmqp.args;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Frame sizes before tuning (AMQP 0-9-1 §4.2.3): until connection.tune-ok has set frame_max, a peer
 * may send frames of up to frame-min-size (4096 octets), as RabbitMQ allows. A larger one —
 * typically a connection.start-ok carrying many client properties — is refused as rabbit_reader
 * refuses any error before tuning: with no reply at all, and the socket closed after RabbitMQ's
 * three-second silent-close delay.
 */
class HandshakeFrameSizeIT extends BrokerTestSupport {

  private static final int FRAME_MIN_SIZE = 4096;
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  @Test
  void startOkOfExactlyTheMinimumFrameSizeIsAccepted() throws Exception {
    try (RawAmqp raw = RawAmqp.connect(brokerUri())) {
      raw.sendRaw(RawAmqp.PROTOCOL_HEADER);
      raw.expectMethod(10, 10, TIMEOUT);

      raw.sendMethod(0, 10, 11, startOkOfPayloadSize(raw, FRAME_MIN_SIZE));

      assertNotNull(raw.expectMethod(10, 30, TIMEOUT), "connection.tune");
    }
  }

  @Test
  void startOkLargerThanTheMinimumFrameSizeEndsTheConnectionWithoutAReply() throws Exception {
    try (RawAmqp raw = RawAmqp.connect(brokerUri())) {
      raw.sendRaw(RawAmqp.PROTOCOL_HEADER);
      raw.expectMethod(10, 10, TIMEOUT);
      long start = System.nanoTime();

      raw.sendMethod(0, 10, 11, startOkOfPayloadSize(raw, FRAME_MIN_SIZE + 1));

      assertArrayEquals(new byte[0], raw.readUntilEnd(TIMEOUT), "octets sent after start-ok");
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(millis >= 2000, "closed " + millis + " ms after the frame, not after ~3 s");
    }
  }

  @Test
  void frameLargerThanTheMinimumFrameSizeBeforeTuneOkEndsTheConnectionWithoutAReply()
      throws Exception {
    try (RawAmqp raw = RawAmqp.connect(brokerUri())) {
      raw.sendRaw(RawAmqp.PROTOCOL_HEADER);
      raw.expectMethod(10, 10, TIMEOUT);
      raw.sendMethod(0, 10, 11, raw.startOk(args().table().bytes()));
      raw.expectMethod(10, 30, TIMEOUT);

      // A tune-ok with 5000 octets of padding: measured before it is read, so it is too large.
      raw.sendMethod(
          0, 10, 31, args().shortInt(2047).longInt(131072).shortInt(0).raw(new byte[5000]).bytes());

      assertArrayEquals(new byte[0], raw.readUntilEnd(TIMEOUT), "octets sent after the frame");
    }
  }

  @Test
  void clientWhoseStartOkExceedsTheMinimumFrameSizeCannotConnect() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setClientProperties(Map.of("padding", "p".repeat(FRAME_MIN_SIZE)));

    assertThrows(IOException.class, () -> track(factory.newConnection()));
  }

  @Test
  void framesSentRightAfterTuneOkAreMeasuredAgainstTheNegotiatedFrameMax() throws Exception {
    String queue = uniqueName("pipelined");
    Channel observer = newConnection().createChannel();
    observer.queueDeclare(queue, false, false, true, null);
    try (RawAmqp raw = RawAmqp.connect(brokerUri())) {
      raw.sendRaw(RawAmqp.PROTOCOL_HEADER);
      raw.expectMethod(10, 10, TIMEOUT);
      raw.sendMethod(0, 10, 11, raw.startOk(args().table().bytes()));
      raw.expectMethod(10, 30, TIMEOUT);
      byte[] body = new byte[5000];

      // tune-ok, open, channel.open and a publish with a 5000-octet body frame, in one write.
      ByteArrayOutputStream pipelined = new ByteArrayOutputStream();
      pipelined.writeBytes(
          method(0, 10, 31, args().shortInt(2047).longInt(131072).shortInt(0).bytes()));
      pipelined.writeBytes(method(0, 10, 40, args().shortString("/").shortString("").octet(0)));
      pipelined.writeBytes(method(1, 20, 10, args().shortString("")));
      pipelined.writeBytes(
          method(1, 60, 40, args().shortInt(0).shortString("").shortString(queue).octet(0)));
      pipelined.writeBytes(
          RawAmqp.frame(
              HEADER,
              1,
              args().shortInt(60).shortInt(0).longLong(body.length).shortInt(0).bytes()));
      pipelined.writeBytes(RawAmqp.frame(BODY, 1, body));
      raw.sendRaw(pipelined.toByteArray());

      raw.expectMethod(10, 41, TIMEOUT); // connection.open-ok
      raw.expectMethod(20, 11, TIMEOUT); // channel.open-ok
      GetResponse got =
          await()
              .atMost(TIMEOUT)
              .until(() -> observer.basicGet(queue, true), response -> response != null);
      assertEquals(body.length, got.getBody().length);
    }
  }

  /** A connection.start-ok padded by a client property to a payload of exactly {@code size}. */
  private static byte[] startOkOfPayloadSize(RawAmqp raw, int size) {
    int unpadded = 4 + raw.startOk(table("padding", 0)).length; // class and method ids first
    return raw.startOk(table("padding", size - unpadded));
  }

  /** A field table of one long-string field holding {@code length} octets. */
  private static byte[] table(String key, int length) {
    byte[] field = args().shortString(key).octet('S').longString(new byte[length]).bytes();
    return args().longInt(field.length).raw(field).bytes();
  }

  private static byte[] method(int channel, int classId, int methodId, RawAmqp.Args arguments) {
    return method(channel, classId, methodId, arguments.bytes());
  }

  private static byte[] method(int channel, int classId, int methodId, byte[] arguments) {
    return RawAmqp.frame(
        METHOD, channel, args().shortInt(classId).shortInt(methodId).raw(arguments).bytes());
  }
}
