package io.warrenmq.broker.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The frame decoder (AMQP 0-9-1 §4.2.3) fed through an {@link EmbeddedChannel}: whole frames come
 * out whatever the read boundaries, framing violations are errors, and every buffer — input and
 * decoded payload — is released (the tests run with leak detection at paranoid).
 */
class FrameDecoderTest {

  /** One frame as the test expects it back. */
  private record Expected(int type, int channel, byte[] payload) {}

  private static final List<Expected> FRAMES =
      List.of(
          // channel.open on channel 1
          new Expected(Frame.METHOD, 1, new byte[] {0, 20, 0, 10, 0}),
          // basic content header: class 60, weight 0, body size 5, no properties
          new Expected(Frame.HEADER, 1, new byte[] {0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0}),
          new Expected(Frame.BODY, 1, new byte[] {'h', 'e', 'l', 'l', 'o'}),
          new Expected(Frame.HEARTBEAT, 0, new byte[0]),
          new Expected(Frame.BODY, 65535, new byte[300]));

  private final List<ByteBuf> inputs = new ArrayList<>();
  private EmbeddedChannel channel;

  @AfterEach
  void everyBufferIsReleased() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
    for (ByteBuf in : inputs) {
      assertEquals(0, in.refCnt(), "an input buffer was not released");
    }
  }

  @Test
  void framesSplitAtEveryByteBoundaryDecodeToTheSameFrames() {
    byte[] stream = encode(FRAMES);
    for (int split = 0; split <= stream.length; split++) {
      channel = new EmbeddedChannel(new FrameDecoder(131072));

      channel.writeInbound(input(stream, 0, split));
      channel.writeInbound(input(stream, split, stream.length - split));

      assertDecoded(FRAMES, channel);
      assertFalse(channel.finishAndReleaseAll(), "left over after split at " + split);
    }
  }

  @Test
  void framesFedOneByteAtATimeDecodeToTheSameFrames() {
    byte[] stream = encode(FRAMES);
    channel = new EmbeddedChannel(new FrameDecoder(131072));

    for (int i = 0; i < stream.length; i++) {
      channel.writeInbound(input(stream, i, 1));
    }

    assertDecoded(FRAMES, channel);
  }

  @Test
  void frameWhosePayloadIsLargerThanFrameMaxIsAFrameError() {
    channel = new EmbeddedChannel(new FrameDecoder(4096));
    byte[] frame = encode(List.of(new Expected(Frame.BODY, 1, new byte[4097])));

    FrameDecoder.FrameException e =
        assertThrows(
            FrameDecoder.FrameException.class,
            () -> channel.writeInbound(input(frame, 0, 7))); // the size alone is enough

    assertEquals("type 3, all octets = <<>>: {frame_too_large,4097,4088}", e.getMessage());
  }

  @Test
  void payloadOfExactlyFrameMaxIsAcceptedAsRabbitMqDoes() {
    channel = new EmbeddedChannel(new FrameDecoder(4096));
    List<Expected> frames = List.of(new Expected(Frame.BODY, 1, new byte[4096]));

    channel.writeInbound(input(encode(frames), 0, encode(frames).length));

    assertDecoded(frames, channel);
  }

  @Test
  void frameMaxNegotiatedLaterAppliesToTheFollowingFrames() {
    FrameDecoder decoder = new FrameDecoder(131072);
    channel = new EmbeddedChannel(decoder);

    decoder.frameMax(4096);

    byte[] frame = encode(List.of(new Expected(Frame.BODY, 1, new byte[5000])));
    assertThrows(
        FrameDecoder.FrameException.class, () -> channel.writeInbound(input(frame, 0, 100)));
  }

  @Test
  void frameNotEndingIn0xCeIsAFrameErrorAndNothingAfterItIsDecoded() {
    channel = new EmbeddedChannel(new FrameDecoder(131072));
    byte[] bad = encode(List.of(FRAMES.get(0)));
    bad[bad.length - 1] = 0x42;

    FrameDecoder.FrameException e =
        assertThrows(
            FrameDecoder.FrameException.class,
            () -> channel.writeInbound(input(bad, 0, bad.length)));
    assertEquals(
        "type 1, all octets = <<0,20,0,10,0>>: {invalid_frame_end_marker,66}", e.getMessage());

    byte[] good = encode(FRAMES);
    channel.writeInbound(input(good, 0, good.length));
    assertNull(channel.readInbound(), "the stream has lost its frame boundaries");
  }

  @Test
  void unknownFrameTypeIsAFrameErrorButTheFollowingFramesStillDecode() {
    channel = new EmbeddedChannel(new FrameDecoder(131072));
    byte[] unknown = encode(List.of(new Expected(7, 1, new byte[] {'a', 'b', 'c'})));

    FrameDecoder.FrameException e =
        assertThrows(
            FrameDecoder.FrameException.class,
            () -> channel.writeInbound(input(unknown, 0, unknown.length)));
    assertEquals("type 7, all octets = <<\"abc\">>: unknown_frame", e.getMessage());

    byte[] good = encode(FRAMES);
    channel.writeInbound(input(good, 0, good.length));
    assertDecoded(FRAMES, channel);
  }

  @Test
  void framesTooShortForTheirTypeAreFrameErrors() {
    List<Expected> malformed =
        List.of(
            new Expected(Frame.METHOD, 1, new byte[] {0, 20, 0}),
            new Expected(Frame.HEADER, 1, new byte[11]),
            new Expected(Frame.HEARTBEAT, 0, new byte[] {1}));
    for (Expected frame : malformed) {
      channel = new EmbeddedChannel(new FrameDecoder(131072));
      byte[] bytes = encode(List.of(frame));

      assertThrows(
          FrameDecoder.FrameException.class,
          () -> channel.writeInbound(input(bytes, 0, bytes.length)),
          "type " + frame.type());
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void longPayloadsAreShownByTheirFirst16OctetsInErrors() {
    channel = new EmbeddedChannel(new FrameDecoder(131072));
    byte[] bad = encode(List.of(new Expected(Frame.BODY, 1, new byte[40])));
    bad[bad.length - 1] = 0;

    FrameDecoder.FrameException e =
        assertThrows(
            FrameDecoder.FrameException.class,
            () -> channel.writeInbound(input(bad, 0, bad.length)));

    assertEquals(
        "type 3, first 16 octets = <<0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0>>:"
            + " {invalid_frame_end_marker,0}",
        e.getMessage());
  }

  // ------------------------------------------------------------------ helpers

  private ByteBuf input(byte[] bytes, int offset, int length) {
    ByteBuf in = Unpooled.buffer(length);
    in.writeBytes(bytes, offset, length);
    inputs.add(in);
    return in;
  }

  /** Reads every decoded frame, compares it with the expected one and releases it. */
  private static void assertDecoded(List<Expected> expected, EmbeddedChannel channel) {
    for (Expected e : expected) {
      Frame frame = channel.readInbound();
      try {
        assertEquals(e.type(), frame.type(), "type");
        assertEquals(e.channel(), frame.channel(), "channel");
        assertArrayEquals(e.payload(), ByteBufUtil.getBytes(frame.payload()), "payload");
      } finally {
        frame.release();
      }
    }
    assertNull(channel.readInbound(), "more frames than sent");
  }

  private static byte[] encode(List<Expected> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Expected f : frames) {
      out.write(f.type());
      out.write(f.channel() >>> 8);
      out.write(f.channel());
      int size = f.payload().length;
      out.write(size >>> 24);
      out.write(size >>> 16);
      out.write(size >>> 8);
      out.write(size);
      out.writeBytes(f.payload());
      out.write(Frame.END);
    }
    return out.toByteArray();
  }
}
