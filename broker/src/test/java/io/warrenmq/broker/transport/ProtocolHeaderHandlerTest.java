package io.warrenmq.broker.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The protocol header (AMQP 0-9-1 §4.2.2): {@code AMQP 0 0 9 1} starts the connection, in however
 * many reads it arrives; anything else gets the header we speak back and the socket closed.
 */
class ProtocolHeaderHandlerTest {

  private static final byte[] HEADER = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

  private final AtomicInteger accepted = new AtomicInteger();
  private final List<ByteBuf> inputs = new ArrayList<>();
  private final EmbeddedChannel channel =
      new EmbeddedChannel(
          new ProtocolHeaderHandler(accepted::incrementAndGet), new FrameDecoder(131072));

  @AfterEach
  void everyBufferIsReleased() {
    channel.finishAndReleaseAll();
    for (ByteBuf in : inputs) {
      assertEquals(0, in.refCnt(), "an input buffer was not released");
    }
  }

  @Test
  void amqp0091IsAcceptedAndTheHandlerLeavesThePipeline() {
    channel.writeInbound(input(HEADER));

    assertEquals(1, accepted.get());
    assertNull(channel.pipeline().get(ProtocolHeaderHandler.class));
    assertTrue(channel.isOpen());
    assertNull(channel.readOutbound(), "nothing is written back");
  }

  @Test
  void headerSplitAcrossReadsIsAcceptedOnceComplete() {
    for (int split = 1; split < HEADER.length; split++) {
      EmbeddedChannel ch =
          new EmbeddedChannel(new ProtocolHeaderHandler(accepted::incrementAndGet));
      ch.writeInbound(input(slice(HEADER, 0, split)));
      assertEquals(split - 1, accepted.get(), "accepted before the header was complete");

      ch.writeInbound(input(slice(HEADER, split, HEADER.length)));

      assertEquals(split, accepted.get(), "split at " + split);
      assertTrue(ch.isOpen());
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void framesInTheSameReadAsTheHeaderReachTheFrameDecoder() {
    byte[] heartbeat = {Frame.HEARTBEAT, 0, 0, 0, 0, 0, 0, (byte) Frame.END};
    byte[] both = new byte[HEADER.length + heartbeat.length];
    System.arraycopy(HEADER, 0, both, 0, HEADER.length);
    System.arraycopy(heartbeat, 0, both, HEADER.length, heartbeat.length);

    channel.writeInbound(input(both));

    Frame frame = channel.readInbound();
    try {
      assertEquals(Frame.HEARTBEAT, frame.type());
    } finally {
      frame.release();
    }
  }

  @Test
  void wrongVersionGetsAmqp0091WrittenBackAndTheChannelClosed() {
    channel.writeInbound(input(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 8, 0}));

    assertRefused();
  }

  @Test
  void garbageIsRefusedAtTheFirstWrongOctetWithoutWaitingForEight() {
    channel.writeInbound(input(new byte[] {'G', 'E'}));

    assertRefused();
  }

  @Test
  void wrongHeaderSplitAcrossReadsIsRefused() {
    channel.writeInbound(input(new byte[] {'A', 'M', 'Q'}));
    assertTrue(channel.isOpen(), "a correct prefix waits for more");

    channel.writeInbound(input(new byte[] {'P', 1, 1, 0, 10}));

    assertRefused();
  }

  private void assertRefused() {
    ByteBuf reply = channel.readOutbound();
    try {
      assertArrayEquals(HEADER, ByteBufUtil.getBytes(reply));
    } finally {
      reply.release();
    }
    assertFalse(channel.isOpen(), "the channel is closed");
    assertEquals(0, accepted.get());
  }

  private ByteBuf input(byte[] bytes) {
    ByteBuf in = Unpooled.buffer(bytes.length).writeBytes(bytes);
    inputs.add(in);
    return in;
  }

  private static byte[] slice(byte[] bytes, int from, int to) {
    byte[] part = new byte[to - from];
    System.arraycopy(bytes, from, part, 0, part.length);
    return part;
  }
}
