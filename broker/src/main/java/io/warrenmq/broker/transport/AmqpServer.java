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
 * <p>The pipeline of a new connection is {@value #HEADER} (removed once the protocol header is
 * read), {@value #DECODER}, then the connection handler; heartbeats join after tuning.
 */
public final class AmqpServer implements AutoCloseable {

  public static final String HEADER = "protocol-header";
  public static final String DECODER = "frame-decoder";
  public static final String CONNECTION = "amqp-connection";

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel listener;

  private AmqpServer(EventLoopGroup boss, EventLoopGroup workers, Channel listener) {
    this.boss = boss;
    this.workers = workers;
    this.listener = listener;
  }

  /**
   * Binds and returns once the server listens.
   *
   * @param handlers makes each new connection's handler
   * @param onHeader runs with that handler once the client's protocol header is accepted
   */
  public static AmqpServer start(
      String host,
      int port,
      int initialFrameMax,
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
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ChannelHandler connection = handlers.get();
                    ch.pipeline()
                        .addLast(
                            HEADER, new ProtocolHeaderHandler(() -> onHeader.accept(connection)))
                        .addLast(DECODER, new FrameDecoder(initialFrameMax))
                        .addLast(CONNECTION, connection);
                  }
                });
    try {
      Channel listener = b.bind(new InetSocketAddress(host, port)).sync().channel();
      return new AmqpServer(boss, workers, listener);
    } catch (InterruptedException | RuntimeException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  public InetSocketAddress localAddress() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** Stops accepting new connections. */
  public void stopAccepting() {
    listener.close().syncUninterruptibly();
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** The workers, for broker-wide timers. */
  public EventLoopGroup workers() {
    return workers;
  }
}
