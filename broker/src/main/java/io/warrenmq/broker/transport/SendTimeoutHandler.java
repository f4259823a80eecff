package io.warrenmq.broker.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose writes have made no progress for the send timeout. Its client has
 * stopped reading (its TCP window is full): nothing the broker sends reaches it, heartbeats
 * included, while its own heartbeats may still arrive, so without this the connection — and the
 * deliveries it holds — would stay forever, and the client, whose reads are stuck, would never
 * notice and recover. RabbitMQ closes it through its sockets' {@code send_timeout} (30 s); closing
 * resets the socket, as RabbitMQ's {@code linger {true, 0}} does, so the client's next write fails.
 *
 * <p>It costs nothing per write: it wakes only when the socket stops being writable (the outbound
 * buffer is past its high-water mark) and then looks at the buffer every quarter of the timeout
 * until the socket is writable again. Progress is the buffer's head changing or being partly
 * written, as Netty's {@code IdleStateHandler} observes output; bytes merely added (a confirm to a
 * client that publishes but does not read) are not progress.
 */
final class SendTimeoutHandler extends ChannelInboundHandlerAdapter {

  private static final System.Logger LOG = System.getLogger("io.warrenmq.broker.connection");

  private final long timeoutNanos;
  private ScheduledFuture<?> check;
  private int head;
  private long headProgress;
  private long lastProgress;

  SendTimeoutHandler(long timeoutMillis) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Channel ch = ctx.channel();
    if (!ch.isWritable() && check == null) {
      ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
      if (out != null) {
        moved(out);
        lastProgress = System.nanoTime();
        schedule(ctx);
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void schedule(ChannelHandlerContext ctx) {
    check = ctx.executor().schedule(() -> check(ctx), timeoutNanos / 4, TimeUnit.NANOSECONDS);
  }

  private void check(ChannelHandlerContext ctx) {
    check = null;
    Channel ch = ctx.channel();
    ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
    if (!ch.isActive() || ch.isWritable() || out == null) {
      return;
    }
    long now = System.nanoTime();
    if (moved(out)) {
      lastProgress = now;
    } else if (now - lastProgress >= timeoutNanos) {
      LOG.log(
          Level.WARNING,
          "closing {0}: no write progress for {1,number,#} ms, the client is not reading ({2,number,#} octets unsent)",
          ch.remoteAddress(),
          TimeUnit.NANOSECONDS.toMillis(now - lastProgress),
          out.totalPendingWriteBytes());
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
      return;
    }
    schedule(ctx);
  }

  /** Whether the buffer's head is another message, or further written, than when last seen. */
  private boolean moved(ChannelOutboundBuffer out) {
    int current = System.identityHashCode(out.current());
    long progress = out.currentProgress();
    boolean moved = current != head || progress != headProgress;
    head = current;
    headProgress = progress;
    return moved;
  }
}
