package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.RawAmqp.BODY;
import static io.warrenmq.broker.it.RawAmqp.HEADER;
import static io.warrenmq.broker.it.RawAmqp.HEARTBEAT;
import static io.warrenmq.broker.it.RawAmqp.METHOD;
import static io.warrenmq.broker.it.RawAmqp.args;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.netty.util.ResourceLeakDetector;
import io.warrenmq.broker.it.RawAmqp.Close;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the broker does with peers that break the protocol (AMQP 0-9-1 §2.3.7, §4.2): garbage,
 * broken and out-of-order frames, channel misuse, and a consumer that never reads. Each case is
 * answered with RabbitMQ's reply code and text, and leaves every other connection working.
 *
 * <p>The frames are written by hand over a plain socket ({@link RawAmqp}), since the Java client
 * cannot be made to send them.
 */
class RobustnessIT extends BrokerTestSupport {

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private Channel bystander;

  /** Another client's connection, open before each misbehaviour, checked after it. */
  @BeforeEach
  void openBystander() throws Exception {
    bystander = newConnection().createChannel();
  }

  // ------------------------------------------------------------------ protocol header

  @Test
  void garbageInsteadOfTheProtocolHeaderIsAnsweredWithAmqp0091AndClosed() throws Exception {
    try (RawAmqp raw = RawAmqp.connect(brokerUri())) {
      raw.sendRaw("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(US_ASCII));

      byte[] reply = raw.readUntilEnd(CLOSE_TIMEOUT);

      assertArrayEquals(RawAmqp.PROTOCOL_HEADER, reply);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void wrongProtocolVersionIsAnsweredWithAmqp0091AndClosed() throws Exception {
    try (RawAmqp raw = RawAmqp.connect(brokerUri())) {
      raw.sendRaw(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 8, 0});

      byte[] reply = raw.readUntilEnd(CLOSE_TIMEOUT);

      assertArrayEquals(RawAmqp.PROTOCOL_HEADER, reply);
    }
    assertOtherConnectionsStillWork();
  }

  // ------------------------------------------------------------------ framing: 501 FRAME_ERROR

  @Test
  void truncatedFrameFollowedByEndOfStreamEndsTheConnection() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      byte[] frame = RawAmqp.frame(METHOD, 0, new byte[40]);
      raw.sendRaw(Arrays.copyOf(frame, 10));
      raw.shutdownOutput();

      raw.readUntilEnd(CLOSE_TIMEOUT);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void frameLargerThanTheNegotiatedFrameMaxClosesTheConnectionWith501() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri(), 0, 4096, 0)) {
      byte[] payload = args().shortInt(20).shortInt(10).shortString("").raw(new byte[5000]).bytes();
      raw.sendFrame(METHOD, 1, payload);

      assertCloseFrame(
          raw, 501, "FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,5005,4088}", 0, 0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void frameThatOverrunsFrameMaxByNoMoreThanItsOwnFramingIsAcceptedAsRabbitMqDoes()
      throws Exception {
    // RabbitMQ lets a payload reach frame_max itself (8 octets over), since clients often count
    // the frame size without its framing.
    try (RawAmqp raw = RawAmqp.open(brokerUri(), 0, 4096, 0)) {
      raw.openChannel(1);
      String queue = uniqueName("robust");
      bystander.queueDeclare(queue, false, false, true, null);
      raw.sendMethod(
          1, 60, 40, args().shortInt(0).shortString("").shortString(queue).octet(0).bytes());
      raw.sendFrame(HEADER, 1, contentHeader(4096));
      raw.sendFrame(BODY, 1, new byte[4096]);

      GetResponse got = awaitMessage(queue);
      assertEquals(4096, got.getBody().length);
    }
  }

  @Test
  void frameNotEndingIn0xCeClosesTheConnectionWith501() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      byte[] frame =
          RawAmqp.frame(METHOD, 1, args().shortInt(20).shortInt(10).shortString("").bytes());
      frame[frame.length - 1] = 0;
      raw.sendRaw(frame);

      assertCloseFrame(
          raw,
          501,
          "FRAME_ERROR - type 1, all octets = <<0,20,0,10,0>>: {invalid_frame_end_marker,0}",
          0,
          0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void unknownFrameTypeClosesTheConnectionWith501() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.sendFrame(7, 1, "abc".getBytes(US_ASCII));

      assertClose(raw, 501, "FRAME_ERROR - type 7, all octets = <<\"abc\">>: unknown_frame", 0, 0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void methodFrameTooShortToNameAMethodClosesTheConnectionWith501() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendFrame(METHOD, 1, new byte[] {0});

      assertClose(raw, 501, "FRAME_ERROR - type 1, all octets = <<0>>: unknown_frame", 0, 0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void methodWhoseArgumentsCannotBeDecodedClosesTheConnectionWith501() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendMethod(1, 50, 10, new byte[] {0}); // queue.declare cut after one octet

      assertClose(raw, 501, "FRAME_ERROR - cannot decode <<0>>", 50, 10);
    }
    assertOtherConnectionsStillWork();
  }

  // ------------------------------------------------------------------ 504 CHANNEL_ERROR

  @Test
  void methodOnAChannelThatWasNeverOpenedClosesTheConnectionWith504() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.sendMethod(5, 50, 10, queueDeclare("q"));

      assertClose(raw, 504, "CHANNEL_ERROR - expected 'channel.open'", 50, 10);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void secondChannelOpenOnAnOpenChannelClosesTheConnectionWith504() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendMethod(1, 20, 10, args().shortString("").bytes());

      assertClose(raw, 504, "CHANNEL_ERROR - second 'channel.open' seen", 20, 10);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void openingMoreChannelsThanTheNegotiatedChannelMaxClosesTheConnectionWith530() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri(), 2, 131072, 0)) {
      raw.openChannel(1);
      raw.openChannel(2);
      raw.sendMethod(3, 20, 10, args().shortString("").bytes());

      assertClose(
          raw,
          530,
          "NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)",
          0,
          0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void channelNumberAboveChannelMaxIsAcceptedWhileFewerChannelsAreOpenAsRabbitMqDoes()
      throws Exception {
    // RabbitMQ limits how many channels are open, not their numbers.
    try (RawAmqp raw = RawAmqp.open(brokerUri(), 2, 131072, 0)) {
      raw.openChannel(7);
      raw.sendMethod(7, 50, 10, queueDeclare(""));

      raw.expectMethod(50, 11, CLOSE_TIMEOUT);
    }
  }

  // ------------------------------------------------------------------ 505 UNEXPECTED_FRAME

  @Test
  void contentHeaderWithoutAPrecedingPublishClosesTheConnectionWith505() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendFrame(HEADER, 1, contentHeader(0));

      assertClose(
          raw, 505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead", 0, 0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void bodyFrameWithoutAPrecedingPublishClosesTheConnectionWith505() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendFrame(BODY, 1, "hello".getBytes(UTF_8));

      assertClose(
          raw, 505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead", 0, 0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void bodyFrameBetweenAPublishAndItsHeaderClosesTheConnectionWith505() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendMethod(1, 60, 40, publish("q"));
      raw.sendFrame(BODY, 1, "hello".getBytes(UTF_8));

      assertClose(
          raw,
          505,
          "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame"
              + " instead",
          60,
          40);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void methodBetweenAPublishAndItsHeaderClosesTheConnectionWith505() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendMethod(1, 60, 40, publish("q"));
      raw.sendMethod(1, 50, 10, queueDeclare(""));

      assertClose(
          raw,
          505,
          "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame"
              + " instead",
          60,
          40);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void methodBeforeTheWholeBodyArrivedClosesTheConnectionWith505() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendMethod(1, 60, 40, publish("q"));
      raw.sendFrame(HEADER, 1, contentHeader(10));
      raw.sendFrame(BODY, 1, "hello".getBytes(UTF_8));
      raw.sendMethod(1, 50, 10, queueDeclare(""));

      assertClose(
          raw,
          505,
          "UNEXPECTED_FRAME - expected content body, got non content body frame instead",
          60,
          40);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void heartbeatOnANonZeroChannelClosesTheConnectionWith505() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.sendFrame(HEARTBEAT, 1, new byte[0]);

      assertClose(raw, 505, "UNEXPECTED_FRAME - type 8, all octets = <<>>", 0, 0);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void contentHeaderOnChannelZeroClosesTheConnectionWith505() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.sendFrame(HEADER, 0, contentHeader(0));

      assertClose(
          raw,
          505,
          "UNEXPECTED_FRAME - type 2, all octets = <<0,60,0,0,0,0,0,0,0,0,0,0,0,0>>",
          0,
          0);
    }
    assertOtherConnectionsStillWork();
  }

  // ------------------------------------------------------------------ unknown methods

  @Test
  void unknownMethodEndsOnlyItsOwnConnection() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendMethod(1, 50, 99, new byte[0]);

      raw.awaitConnectionClose(CLOSE_TIMEOUT);
      raw.readUntilEnd(CLOSE_TIMEOUT);
    }
    assertOtherConnectionsStillWork();
  }

  @Test
  void unknownClassAndMethodCloseTheConnectionWith540() throws Exception {
    // RabbitMQ 3.10 drops the socket without a close here (its reader exits on
    // unknown_method_id); WarrenMQ says why, with the code the specification gives.
    assumeInProcess();
    try (RawAmqp raw = RawAmqp.open(brokerUri())) {
      raw.openChannel(1);
      raw.sendMethod(1, 99, 1, new byte[0]);

      assertClose(raw, 540, "NOT_IMPLEMENTED - unknown method class 99 method 1", 99, 1);
    }
    assertOtherConnectionsStillWork();
  }

  // ------------------------------------------------------------------ slow peers

  @Test
  void consumerThatNeverReadsItsSocketDoesNotHoldUpOtherConnections() throws Exception {
    String backlog = backlogOf(1024); // 16 MiB: far more than the socket buffers hold
    try (RawAmqp stuck = consumingWithoutReading(backlog)) {
      Connection other = newConnection();
      Channel channel = other.createChannel();
      String queue = channel.queueDeclare().getQueue();
      CountDownLatch received = new CountDownLatch(100);
      channel.basicConsume(queue, true, (tag, delivery) -> received.countDown(), tag -> {});
      for (int i = 0; i < 100; i++) {
        channel.basicPublish("", queue, null, ("m" + i).getBytes(UTF_8));
      }

      assertTrue(received.await(10, TimeUnit.SECONDS), "the other connection's round trip");
    } finally {
      bystander.queueDelete(backlog);
    }
    assertOtherConnectionsStillWork();
  }

  /**
   * A client whose socket the broker cannot write to is still read: many clients read and write on
   * different threads, and one whose reader waits for its consumer threads, which wait to write
   * acks, would deadlock with a broker that stopped reading it (PerfTest's default run did).
   */
  @Test
  void aPeerThatIsNotReadingIsStillReadWhileItsRepliesAreFew() throws Exception {
    String backlog = backlogOf(512); // 8 MiB: far more than the socket buffers hold
    try (RawAmqp busy =
        consumingWithoutReading(
            backlog)) { // The broker fills the socket towards this peer, which keeps writing and
      // reads nothing:
      // 16 MiB of heartbeats, which need no reply.
      byte[] heartbeats = new byte[8 * 64 * 1024];
      for (int i = 0; i < heartbeats.length; i += 8) {
        System.arraycopy(RawAmqp.frame(8, 0, new byte[0]), 0, heartbeats, i, 8);
      }
      // Two million small frames: tracking each buffer's every access (the suite's paranoid leak
      // detection) would make this test about the detector's speed, not the broker's reading.
      ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
      CompletableFuture<Void> written =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int i = 0; i < 32; i++) {
                    busy.sendRaw(heartbeats);
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      try {
        written.get(30, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        fail("the broker stopped reading a peer it could not write to");
      } finally {
        ResourceLeakDetector.setLevel(level);
      }
    } finally {
      bystander.queueDelete(backlog);
    }
    assertOtherConnectionsStillWork();
  }

  // ------------------------------------------------------------------ helpers

  /** A new queue holding {@code messages} messages of 16 KiB. */
  private String backlogOf(int messages) throws IOException {
    String backlog = uniqueName("robust-backlog");
    bystander.queueDeclare(backlog, false, false, false, null);
    byte[] body = new byte[16 * 1024];
    for (int i = 0; i < messages; i++) {
      bystander.basicPublish("", backlog, null, body);
    }
    return backlog;
  }

  /**
   * A raw peer that consumes {@code queue} with no-ack — the broker pushes as fast as the socket
   * takes it — and reads nothing more.
   */
  private RawAmqp consumingWithoutReading(String queue) throws IOException {
    RawAmqp raw = RawAmqp.open(brokerUri());
    try {
      raw.openChannel(1);
      raw.sendMethod(
          1,
          60,
          20,
          args().shortInt(0).shortString(queue).shortString("").octet(0b10).table().bytes());
      return raw;
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /** Expects connection.close, answers close-ok and waits for the broker to end the connection. */
  private static void assertClose(RawAmqp raw, int code, String text, int classId, int methodId)
      throws Exception {
    assertCloseFrame(raw, code, text, classId, methodId);
    raw.readUntilEnd(CLOSE_TIMEOUT);
  }

  /**
   * Expects connection.close after an error that loses the frame boundaries: the broker can no
   * longer read close-ok, so it ends the connection only after a grace period (3 s, as RabbitMQ).
   */
  private static void assertCloseFrame(
      RawAmqp raw, int code, String text, int classId, int methodId) throws Exception {
    Close close = raw.awaitConnectionClose(CLOSE_TIMEOUT);
    assertNotNull(close, "expected connection.close, the connection ended without one");
    assertEquals(new Close(code, text, classId, methodId), close);
  }

  /** A publish and get on the bystander connection, opened before the misbehaviour. */
  private void assertOtherConnectionsStillWork() throws Exception {
    String queue = bystander.queueDeclare().getQueue();
    bystander.basicPublish("", queue, null, "still here".getBytes(UTF_8));
    assertEquals("still here", new String(awaitMessage(queue).getBody(), UTF_8));
  }

  private GetResponse awaitMessage(String queue) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      GetResponse got = bystander.basicGet(queue, true);
      if (got != null) {
        return got;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("no message in " + queue + " within 10 s");
  }

  private static byte[] queueDeclare(String queue) {
    return args().shortInt(0).shortString(queue).octet(0).table().bytes();
  }

  private static byte[] publish(String routingKey) {
    return args().shortInt(0).shortString("").shortString(routingKey).octet(0).bytes();
  }

  /** A basic content header with no properties (AMQP 0-9-1 §4.2.6.1). */
  private static byte[] contentHeader(long bodySize) {
    return args().shortInt(60).shortInt(0).longLong(bodySize).shortInt(0).bytes();
  }
}
