package io.warrenmq.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Reads the 8-octet protocol header (AMQP 0-9-1 §4.2.2). {@code AMQP 0 0 9 1} removes this handler
 * and lets the connection start; anything else is answered with the header we speak and the socket
 * is closed, as the specification asks.
 */
final class ProtocolHeaderHandler extends ByteToMessageDecoder {

  static final byte[] AMQP_0_9_1 = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

  private final Runnable onAccepted;

  ProtocolHeaderHandler(Runnable onAccepted) {
    this.onAccepted = onAccepted;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int available = Math.min(in.readableBytes(), AMQP_0_9_1.length);
    for (int i = 0; i < available; i++) {
      if (in.getByte(in.readerIndex() + i) != AMQP_0_9_1[i]) {
        refuse(ctx, in);
        return;
      }
    }
    if (available < AMQP_0_9_1.length) {
      return;
    }
    in.skipBytes(AMQP_0_9_1.length);
    ctx.pipeline().remove(this);
    onAccepted.run();
  }

  private void refuse(ChannelHandlerContext ctx, ByteBuf in) {
    in.skipBytes(in.readableBytes());
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(Unpooled.wrappedBuffer(AMQP_0_9_1)).addListener(ChannelFutureListener.CLOSE);
  }
}
