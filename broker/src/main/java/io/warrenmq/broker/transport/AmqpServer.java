package io.warrenmq.broker.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The Netty server: one acceptor thread, and worker event loops (one per core) that each own the
 * connections they were given. Uses epoll where the platform has it.
 *
 * <p>The pipeline of a new connection is {@value #SEND_TIMEOUT}, {@value #HEADER} (removed once the
 * protocol header is read), {@value #DECODER}, then the connection handler; heartbeats join after
 * tuning.
 */
public final class AmqpServer implements AutoCloseable {

  public static final String SEND_TIMEOUT = "send-timeout";
  public static final String HEADER = "protocol-header";
  public static final String DECODER = "frame-decoder";
  public static final String CONNECTION = "amqp-connection";

  /** The heartbeat handler, added before the {@value #DECODER} once heartbeats are negotiated. */
  public static final String HEARTBEAT = "heartbeat";

  public static final String TLS = "tls";

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel listener;
  private final Channel tlsListener;

  private AmqpServer(
      EventLoopGroup boss, EventLoopGroup workers, Channel listener, Channel tlsListener) {
    this.boss = boss;
    this.workers = workers;
    this.listener = listener;
    this.tlsListener = tlsListener;
  }

  /**
   * Binds and returns once the server listens.
   *
   * @param tls the TLS context of a second, AMQPS listener on {@code tlsPort}, or null for none
   * @param sendTimeoutMillis how long a connection's writes may make no progress before it is
   *     closed ({@link SendTimeoutHandler}); 0 for ever
   * @param handlers makes each new connection's handler
   * @param onHeader runs with that handler once the client's protocol header is accepted
   */
  public static AmqpServer start(
      String host,
      int port,
      io.netty.handler.ssl.SslContext tls,
      int tlsPort,
      long sendTimeoutMillis,
      Supplier<ChannelHandler> handlers,
      java.util.function.Consumer<ChannelHandler> onHeader)
      throws InterruptedException {
    boolean epoll = Epoll.isAvailable();
    EventLoopGroup boss = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    EventLoopGroup workers = epoll ? new EpollEventLoopGroup() : new NioEventLoopGroup();
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(512 * 1024, 1024 * 1024))
            .childHandler(pipeline(null, sendTimeoutMillis, handlers, onHeader));
    Channel listener = null;
    try {
      listener = b.bind(new InetSocketAddress(host, port)).sync().channel();
      Channel tlsListener = null;
      if (tls != null) {
        tlsListener =
            b.clone()
                .childHandler(pipeline(tls, sendTimeoutMillis, handlers, onHeader))
                .bind(new InetSocketAddress(host, tlsPort))
                .sync()
                .channel();
      }
      return new AmqpServer(boss, workers, listener, tlsListener);
    } catch (InterruptedException | RuntimeException e) {
      if (listener != null) {
        listener.close();
      }
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  /**
   * A new connection's pipeline: with TLS, the {@value #TLS} handler first (a client that does not
   * complete the handshake never reaches the protocol header), then as for plain AMQP.
   */
  private static ChannelInitializer<SocketChannel> pipeline(
      io.netty.handler.ssl.SslContext tls,
      long sendTimeoutMillis,
      Supplier<ChannelHandler> handlers,
      java.util.function.Consumer<ChannelHandler> onHeader) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        if (tls != null) {
          ch.pipeline().addLast(TLS, tls.newHandler(ch.alloc()));
        }
        if (sendTimeoutMillis > 0) {
          ch.pipeline().addLast(SEND_TIMEOUT, new SendTimeoutHandler(sendTimeoutMillis));
        }
        ChannelHandler connection = handlers.get();
        ch.pipeline()
            .addLast(HEADER, new ProtocolHeaderHandler(() -> onHeader.accept(connection)))
            .addLast(DECODER, new FrameDecoder(Frame.MIN_SIZE))
            .addLast(CONNECTION, connection);
      }
    };
  }

  public InetSocketAddress localAddress() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** The AMQPS listener's address, or null when there is none. */
  public InetSocketAddress tlsAddress() {
    return tlsListener == null ? null : (InetSocketAddress) tlsListener.localAddress();
  }

  /** Stops accepting new connections. */
  public void stopAccepting() {
    listener.close().syncUninterruptibly();
    if (tlsListener != null) {
      tlsListener.close().syncUninterruptibly();
    }
  }

  @Override
  public void close() {
    stopAccepting();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** The workers, for broker-wide timers. */
  public EventLoopGroup workers() {
    return workers;
  }
}
