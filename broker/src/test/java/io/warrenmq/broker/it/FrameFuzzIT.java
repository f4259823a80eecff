package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.RawAmqp.args;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random and mutated frame sequences after a valid handshake. Whatever arrives, the broker answers
 * within a deadline (a close, or the end of the connection once our side has ended), stays up for
 * the next client, and leaks no buffer.
 *
 * <p>The sequences are built from valid frames — channel, queue, publish with content, consume,
 * ack, heartbeats — of which some are mutated: an octet changed, the frame cut short, its type,
 * channel or size replaced, or garbage appended. So most runs go deep into the channel code before
 * something breaks.
 *
 * <p>jqwik runs its own lifecycle, so this class starts its broker itself rather than through
 * {@link BrokerTestSupport}.
 */
class FrameFuzzIT {

  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);
  private static final List<LogRecord> LEAKS = new CopyOnWriteArrayList<>();
  private static final Handler LEAK_WATCH =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          if (r.getMessage() != null && r.getMessage().contains("LEAK")) {
            LEAKS.add(r);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  private static Broker broker;
  private static Path dataDir;

  @BeforeContainer
  static void startBroker() throws Exception {
    Logger.getLogger("io.netty").addHandler(LEAK_WATCH);
    dataDir = Files.createTempDirectory("warren-fuzz");
    broker =
        Broker.start(
            BrokerConfig.defaults().withHost("127.0.0.1").withPort(0).withDataDir(dataDir));
  }

  @AfterContainer
  static void brokerStillWorksAndLeakedNothing() throws Exception {
    try {
      roundTripOnAFreshConnection();
      assertNoLeaks();
    } finally {
      Logger.getLogger("io.netty").removeHandler(LEAK_WATCH);
      broker.close();
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Property(tries = 200)
  void brokerAnswersAnyFrameSequenceWithinADeadline(@ForAll("frameSequences") List<byte[]> frames)
      throws Exception {
    try (RawAmqp raw = RawAmqp.open(uri())) {
      try {
        raw.openChannel(1);
        for (byte[] frame : frames) {
          raw.sendRaw(frame);
        }
        raw.shutdownOutput();
      } catch (IOException closedAlready) {
        // the broker closed the connection part way through: that is an answer too
      }

      raw.readUntilEnd(ANSWER_TIMEOUT); // fails when the broker neither closes nor ends
    }
  }

  // ------------------------------------------------------------------ sequences

  @Provide
  Arbitrary<List<byte[]>> frameSequences() {
    Arbitrary<byte[]> valid = Arbitraries.of(catalogue());
    Arbitrary<byte[]> maybeMutated =
        Combinators.combine(
                valid,
                Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.integers().between(0, 255),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40))
            .as(FrameFuzzIT::mutate);
    return maybeMutated.list().ofMinSize(1).ofMaxSize(12);
  }

  /** Valid frames, most of them on channel 1, which each try opens first. */
  private static List<byte[]> catalogue() {
    String queue = "fuzz";
    return List.of(
        method(1, 20, 10, args().shortString("").bytes()), // channel.open, a second time
        method(1, 50, 10, args().shortInt(0).shortString(queue).octet(0b1010).table().bytes()),
        method(
            1,
            50,
            20,
            args()
                .shortInt(0)
                .shortString(queue)
                .shortString("amq.fanout")
                .shortString("")
                .octet(0)
                .table()
                .bytes()),
        method(1, 60, 40, args().shortInt(0).shortString("").shortString(queue).octet(0).bytes()),
        method(
            1,
            60,
            40,
            args().shortInt(0).shortString("amq.fanout").shortString("").octet(0b11).bytes()),
        RawAmqp.frame(RawAmqp.HEADER, 1, contentHeader(5)),
        RawAmqp.frame(RawAmqp.HEADER, 1, contentHeader(0)),
        RawAmqp.frame(RawAmqp.BODY, 1, "hello".getBytes(UTF_8)),
        RawAmqp.frame(RawAmqp.BODY, 1, "he".getBytes(UTF_8)),
        method(
            1,
            60,
            20,
            args().shortInt(0).shortString(queue).shortString("").octet(0).table().bytes()),
        method(1, 60, 70, args().shortInt(0).shortString(queue).octet(1).bytes()), // get, no-ack
        method(1, 60, 80, args().longLong(1).octet(0).bytes()), // ack
        method(1, 60, 120, args().longLong(0).octet(0b11).bytes()), // nack multiple requeue
        method(1, 60, 10, args().longInt(0).shortInt(1).octet(0).bytes()), // qos
        method(1, 60, 110, args().octet(1).bytes()), // recover
        method(1, 85, 10, args().octet(0).bytes()), // confirm.select
        method(1, 90, 10, new byte[0]), // tx.select
        method(1, 90, 20, new byte[0]), // tx.commit
        method(1, 20, 40, args().shortInt(200).shortString("bye").shortInt(0).shortInt(0).bytes()),
        method(1, 20, 41, new byte[0]), // channel.close-ok
        method(1, 20, 20, args().octet(0).bytes()), // flow
        method(2, 20, 10, args().shortString("").bytes()),
        method(0, 10, 50, args().shortInt(200).shortString("bye").shortInt(0).shortInt(0).bytes()),
        method(0, 10, 51, new byte[0]),
        RawAmqp.frame(RawAmqp.HEARTBEAT, 0, new byte[0]));
  }

  /**
   * Leaves a frame as it is (kinds 0-4) or breaks it: an octet replaced, the frame cut short, its
   * type, channel or size octets replaced, or garbage appended.
   */
  private static byte[] mutate(byte[] frame, int kind, int position, int value, byte[] garbage) {
    byte[] f = frame.clone();
    int at = position % f.length;
    switch (kind) {
      case 5 -> f[at] = (byte) value;
      case 6 -> f = Arrays.copyOf(f, at);
      case 7 -> f[0] = (byte) value;
      case 8 -> f[1 + position % 6] = (byte) value; // channel or size
      case 9 -> {
        byte[] longer = Arrays.copyOf(f, f.length + garbage.length);
        System.arraycopy(garbage, 0, longer, f.length, garbage.length);
        f = longer;
      }
      default -> {}
    }
    return f;
  }

  private static byte[] method(int channel, int classId, int methodId, byte[] arguments) {
    return RawAmqp.frame(
        RawAmqp.METHOD,
        channel,
        args().shortInt(classId).shortInt(methodId).raw(arguments).bytes());
  }

  private static byte[] contentHeader(long bodySize) {
    return args().shortInt(60).shortInt(0).longLong(bodySize).shortInt(0).bytes();
  }

  // ------------------------------------------------------------------ after all tries

  private static URI uri() {
    return URI.create("amqp://guest:guest@127.0.0.1:" + broker.port());
  }

  private static void roundTripOnAFreshConnection() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(broker.port());
    factory.setAutomaticRecoveryEnabled(false);
    factory.setConnectionTimeout(5000);
    factory.setChannelRpcTimeout(10_000);
    try (Connection connection = factory.newConnection()) {
      Channel channel = connection.createChannel();
      String queue = channel.queueDeclare().getQueue();
      channel.basicPublish("", queue, null, "after the fuzz".getBytes(UTF_8));
      GetResponse got = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (got == null && System.nanoTime() < deadline) {
        got = channel.basicGet(queue, true);
      }
      assertNotNull(got, "no message back within 10 s");
      assertEquals("after the fuzz", new String(got.getBody(), UTF_8));
    }
  }

  /**
   * Netty reports a leak when a buffer that was never released is garbage collected and a later
   * allocation looks at the leak queue: so collect, allocate, and look at what was logged.
   */
  private static void assertNoLeaks() {
    for (int round = 0; round < 5; round++) {
      System.gc();
      for (int i = 0; i < 100; i++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.release();
      }
    }
    assertTrue(LEAKS.isEmpty(), () -> "Netty reported leaks: " + LEAKS.get(0).getMessage());
  }
}
