package io.warrenmq.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.warrenmq.broker.protocol.AmqpMethod;
import io.warrenmq.broker.protocol.BasicProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The framing layer on its own: cutting a publish (method, header and body frames) out of a read
 * buffer, and writing a delivery (method and header in one buffer, body as a slice). In the same
 * package as {@link FrameDecoder} because {@code decode} is protected.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class FrameCodecBenchmark {

  private static final int FRAME_MAX = 131_072;

  @Param({"16", "1024", "262144"})
  public int bodySize;

  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private final List<Object> out = new ArrayList<>(8);
  private ByteBuf publishBytes;
  private ByteBuf body;
  private ByteBuf properties;
  private FrameDecoder decoder;
  private EmbeddedChannel channel;
  private AmqpMethod deliver;

  @Setup(Level.Trial)
  public void setUp() {
    body = alloc.directBuffer(bodySize).writeZero(bodySize);
    properties = alloc.buffer(64);
    BasicProperties.EMPTY
        .withDeliveryMode(1)
        .withContentType("application/octet-stream")
        .encode(properties);
    // What a client writes for one basic.publish: the same framing as a delivery.
    EmbeddedChannel writer = new EmbeddedChannel();
    Frames.writeContent(
        writer,
        1,
        new AmqpMethod.BasicPublish(0, "", "bench-queue", false, false),
        properties,
        body,
        FRAME_MAX);
    writer.flush();
    publishBytes = alloc.directBuffer();
    for (Object o; (o = writer.readOutbound()) != null; ) {
      ByteBuf b = (ByteBuf) o;
      publishBytes.writeBytes(b);
      b.release();
    }
    writer.finishAndReleaseAll();
    decoder = new FrameDecoder(FRAME_MAX);
    decoder.frameMax(FRAME_MAX); // tuned: a publish's frames decode in one call
    // Writes go nowhere: the benchmark measures framing, not a socket.
    channel =
        new EmbeddedChannel(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
              }
            });
    deliver = new AmqpMethod.BasicDeliver("amq.ctag-bench", 42, false, "", "bench-queue");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    publishBytes.release();
    body.release();
    properties.release();
    channel.finishAndReleaseAll();
  }

  /** Decodes the three (or more) frames of one publish and releases them. */
  @Benchmark
  public void decodePublish(Blackhole bh) {
    ByteBuf in = publishBytes.retainedDuplicate();
    decoder.decode(null, in, out);
    for (int i = 0; i < out.size(); i++) {
      Frame f = (Frame) out.get(i);
      bh.consume(f.payload().readableBytes());
      f.release();
    }
    out.clear();
    in.release();
  }

  /** Writes one basic.deliver with its header and body frames. */
  @Benchmark
  public void encodeDelivery() {
    Frames.writeContent(channel, 1, deliver, properties, body, FRAME_MAX);
  }

  /** Writes one small method frame (basic.ack's size class). */
  @Benchmark
  public void encodeMethod(Blackhole bh) {
    ByteBuf b = Frames.method(alloc, 1, deliver);
    bh.consume(b.readableBytes());
    b.release();
  }
}
