package io.warrenmq.broker.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.ScheduledFuture;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.channel.ExclusiveQueues;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.AmqpMethod;
import io.warrenmq.broker.protocol.AmqpMethod.ConnectionClose;
import io.warrenmq.broker.protocol.AmqpMethod.ConnectionCloseOk;
import io.warrenmq.broker.protocol.AmqpMethod.ConnectionOpen;
import io.warrenmq.broker.protocol.AmqpMethod.ConnectionSecureOk;
import io.warrenmq.broker.protocol.AmqpMethod.ConnectionStartOk;
import io.warrenmq.broker.protocol.AmqpMethod.ConnectionTuneOk;
import io.warrenmq.broker.protocol.AmqpMethod.ConnectionUpdateSecret;
import io.warrenmq.broker.protocol.ConnectionMethodHandler;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.protocol.UnknownMethodException;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.security.Authenticator;
import io.warrenmq.broker.transport.AmqpServer;
import io.warrenmq.broker.transport.Frame;
import io.warrenmq.broker.transport.FrameDecoder;
import io.warrenmq.broker.transport.Frames;
import io.warrenmq.broker.vhost.VirtualHost;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One AMQP connection: the handshake (start, tune, open), channel 0, heartbeats, flow control and
 * the close handshake, and the table of open channels. All of it runs on the connection's event
 * loop; other threads reach it only through {@code eventLoop().execute}.
 *
 * <p>Errors follow AMQP 0-9-1 §1.2: a soft error closes one channel ({@link AmqpChannel}); a hard
 * error sends connection.close with the code, text and offending method, then waits (briefly) for
 * close-ok before closing the socket. Once closing, every frame but close and close-ok is dropped.
 */
public final class AmqpConnection extends ChannelInboundHandlerAdapter
    implements ConnectionMethodHandler, io.warrenmq.broker.channel.Owner {

  private final String ownerId = io.warrenmq.broker.vhost.QueueOwner.newId();

  static final System.Logger LOG = System.getLogger("io.warrenmq.broker.connection");

  private static final long HANDSHAKE_TIMEOUT_SECONDS = 10;

  /**
   * How long a connection refused during the handshake waits, unread, before its socket closes:
   * RabbitMQ's SILENT_CLOSE_DELAY, which spares the broker clients that retry at once.
   */
  private static final long SILENT_CLOSE_DELAY_SECONDS = 3;

  private static final long CLOSE_OK_TIMEOUT_SECONDS = 3;

  private enum State {
    AWAITING_HEADER,
    AWAITING_START_OK,
    AWAITING_TUNE_OK,
    AWAITING_OPEN,
    OPEN,
    CLOSING,
    CLOSED
  }

  /** Why this connection is not reading from its socket; reading resumes when none is left. */
  private static final int BLOCKED_BY_ALARM = 1;

  private static final int BLOCKED_BY_BACKLOG = 2;
  private static final int BLOCKED_BY_WRITES = 4;

  /** Reading waits while a definition change waits for the cluster. */
  private static final int BLOCKED_BY_CLUSTER = 8;

  /** Where definition changes wait for the cluster, off the event loops. */
  private static final java.util.concurrent.ExecutorService CLUSTER_CHANGES =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "warren-cluster-change");
            t.setDaemon(true);
            return t;
          });

  private final java.util.ArrayDeque<Frame> held = new java.util.ArrayDeque<>();
  private boolean waitingForCluster;

  /**
   * Octets waiting to be written to a client beyond which its socket is no longer read. Not reading
   * as soon as the socket stops being writable would deadlock the many clients that read and write
   * on different threads: a client whose reader waits for its consumer threads, which wait to write
   * acks the broker no longer reads. Deliveries already stop at the write buffer's high-water mark
   * (consumers get no credit), so what piles up here is replies to a client that does not read.
   */
  static final long UNREAD_REPLIES_LIMIT = 64L * 1024 * 1024;

  private final BrokerServices broker;
  private final BrokerConfig.Limits limits;
  private final IntObjectMap<AmqpChannel> channels = new IntObjectHashMap<>();
  private final ExclusiveQueues exclusiveQueues = new ExclusiveQueues();
  private final Set<Queue> backlogged = new HashSet<>();

  private ChannelHandlerContext ctx;
  private State state = State.AWAITING_HEADER;
  private ScheduledFuture<?> handshakeTimeout;
  private Map<String, Object> clientProperties = Map.of();
  private boolean consumerCancelNotify;
  private boolean authenticationFailureClose;
  private boolean blockedNotifications;
  private String user;
  private VirtualHost vhost;
  private int frameMax;
  private int channelMax;
  private int blockers;
  private boolean published;
  private boolean sentBlocked;

  public AmqpConnection(BrokerServices broker) {
    this.broker = broker;
    this.limits = broker.config().limits();
    this.frameMax = limits.frameMax();
    this.channelMax = limits.channelMax();
  }

  // ------------------------------------------------------------------ Netty events

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    broker.register(this);
    handshakeTimeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (state.compareTo(State.OPEN) < 0) {
                    LOG.log(Level.WARNING, "closing {0}: handshake timeout", peer());
                    ctx.close();
                  }
                },
                HANDSHAKE_TIMEOUT_SECONDS,
                TimeUnit.SECONDS);
    ctx.fireChannelActive();
  }

  /** The client sent {@code AMQP 0 0 9 1}: offer connection.start. */
  public void protocolHeaderAccepted() {
    state = State.AWAITING_START_OK;
    send(
        0,
        new AmqpMethod.ConnectionStart(
            0,
            9,
            ServerProperties.get(),
            Authenticator.MECHANISMS.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            "en_US".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    ctx.flush();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Frame frame = (Frame) msg;
    if (waitingForCluster) {
      held.add(frame); // after the cluster has answered, in order
      setBlocker(BLOCKED_BY_CLUSTER, true);
      return;
    }
    if (state == State.OPEN && vhost != null && vhost.replicated() && changesDefinitions(frame)) {
      handleOffLoop(frame);
      return;
    }
    process(frame);
  }

  /**
   * In a cluster, a method that changes definitions waits for a majority of the nodes: it runs on a
   * thread of its own while the connection's later frames wait, so that the event loop, which
   * serves other connections and this one's deliveries and heartbeats, never waits with it.
   */
  private void handleOffLoop(Frame frame) {
    waitingForCluster = true;
    CLUSTER_CHANGES.execute(
        () -> {
          Exception failure = null;
          try {
            handleFrame(frame);
          } catch (Exception e) {
            failure = e;
          }
          Exception f = failure;
          ctx.executor()
              .execute(
                  () -> {
                    try {
                      if (f != null && state != State.CLOSED) {
                        failed(frame, f);
                      }
                    } finally {
                      frame.release();
                    }
                    waitingForCluster = false;
                    if (state == State.CLOSED) {
                      // Closed while the change waited: an exclusive queue it declared goes too.
                      exclusiveQueues.deleteAll(vhost);
                      return;
                    }
                    ctx.flush();
                    while (!waitingForCluster && !held.isEmpty()) {
                      channelRead(ctx, held.poll());
                    }
                    if (!waitingForCluster) {
                      setBlocker(BLOCKED_BY_CLUSTER, false);
                      channelReadComplete(ctx);
                    }
                  });
        });
  }

  /** exchange.declare/delete/bind/unbind, queue.declare/bind/purge/unbind/delete. */
  private static boolean changesDefinitions(Frame frame) {
    if (frame.type() != Frame.METHOD || frame.channel() == 0) {
      return false;
    }
    ByteBuf p = frame.payload();
    if (p.readableBytes() < 4) {
      return false;
    }
    int classId = p.getUnsignedShort(p.readerIndex());
    int methodId = p.getUnsignedShort(p.readerIndex() + 2);
    return (classId == 40 && (methodId == 10 || methodId == 20 || methodId == 30 || methodId == 40))
        || (classId == 50
            && (methodId == 10
                || methodId == 20
                || methodId == 30
                || methodId == 40
                || methodId == 50));
  }

  private void process(Frame frame) {
    try {
      if (state == State.CLOSED) {
        return;
      }
      handleFrame(frame);
    } catch (Exception e) {
      failed(frame, e);
    } finally {
      frame.release();
    }
  }

  /** What a frame's handling threw: the connection or channel closes as its error says. */
  private void failed(Frame frame, Exception failure) {
    try {
      throw failure;
    } catch (AmqpException e) {
      closeWithError(e);
    } catch (UnknownMethodException e) {
      // AMQP 0-9-1 §1.2: 540 for functionality the server does not implement. (RabbitMQ drops the
      // socket without a close.)
      closeWithError(
          String.format(
              "NOT_IMPLEMENTED - unknown method class %d method %d", e.classId(), e.methodId()),
          ReplyCode.NOT_IMPLEMENTED,
          e.classId(),
          e.methodId());
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      // The frame decoder let only method frames of 4 octets or more through. The arguments are
      // shown as RabbitMQ shows them, as far as a reply text (255 octets) can hold them.
      ByteBuf p = frame.payload();
      closeWithError(
          "FRAME_ERROR - cannot decode "
              + Frame.erlangBinary(p, 4, Math.min(p.writerIndex() - 4, 64), false),
          ReplyCode.FRAME_ERROR,
          p.getUnsignedShort(0),
          p.getUnsignedShort(2));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    for (AmqpChannel ch : channels.values()) {
      ch.readComplete();
    }
    ctx.flush();
    if (!ctx.channel().isWritable() && pendingWrites(ctx) > UNREAD_REPLIES_LIMIT) {
      setBlocker(BLOCKED_BY_WRITES, true);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    boolean writable = ctx.channel().isWritable();
    if (writable) {
      setBlocker(BLOCKED_BY_WRITES, false);
      for (AmqpChannel ch : channels.values()) {
        ch.creditReturned();
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent idle) {
      switch (idle.state()) {
        case READER_IDLE -> {
          LOG.log(Level.WARNING, "closing {0}: missed heartbeats from client", peer());
          state = State.CLOSED;
          ctx.close();
        }
        case WRITER_IDLE -> {
          // A socket that is not writable has output waiting: a heartbeat would only join it.
          if (ctx.channel().isWritable()) {
            ctx.writeAndFlush(Frames.heartbeat(), ctx.voidPromise());
          }
        }
        default -> {}
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof FrameDecoder.FrameException
        || (cause instanceof DecoderException && cause.getCause() == null)) {
      closeWithError(AmqpException.connection(ReplyCode.FRAME_ERROR, "%s", cause.getMessage()));
    } else if (cause instanceof java.io.IOException) {
      LOG.log(Level.DEBUG, "I/O error on {0}: {1}", peer(), cause.getMessage());
      ctx.close();
    } else {
      LOG.log(Level.ERROR, "internal error on " + peer(), cause);
      closeWithError(
          AmqpException.connection(ReplyCode.INTERNAL_ERROR, "%s", String.valueOf(cause)));
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = State.CLOSED;
    for (Frame f = held.poll(); f != null; f = held.poll()) {
      f.release();
    }
    if (handshakeTimeout != null) {
      handshakeTimeout.cancel(false);
    }
    for (AmqpChannel ch : new ArrayList<>(channels.values())) {
      ch.release();
    }
    channels.clear();
    if (vhost != null) {
      exclusiveQueues.deleteAll(vhost);
    }
    broker.unregister(this);
    if (user != null) {
      LOG.log(Level.INFO, "closed connection {0} (user ''{1}'')", peer(), user);
    }
    ctx.fireChannelInactive();
  }

  // ------------------------------------------------------------------ frames

  private void handleFrame(Frame frame) throws AmqpException {
    int number = frame.channel();
    if (frame.type() == Frame.HEARTBEAT) {
      if (number != 0) {
        throw AmqpException.connection(
            ReplyCode.UNEXPECTED_FRAME, "%s", Frame.describe(frame.type(), frame.payload()));
      }
      return;
    }
    if (number == 0) {
      if (frame.type() != Frame.METHOD) {
        throw AmqpException.connection(
            ReplyCode.UNEXPECTED_FRAME, "%s", Frame.describe(frame.type(), frame.payload()));
      }
      ByteBuf p = frame.payload();
      AmqpMethod method = AmqpMethod.decode(p.readUnsignedShort(), p.readUnsignedShort(), p);
      if (state == State.CLOSING
          && !(method instanceof ConnectionClose || method instanceof ConnectionCloseOk)) {
        return;
      }
      try {
        ConnectionMethodHandler.dispatch(method, this);
      } catch (AmqpException e) {
        throw e.causedBy(method);
      }
      return;
    }
    if (state != State.OPEN) {
      if (state == State.CLOSING) {
        return;
      }
      throw AmqpException.connection(
          ReplyCode.COMMAND_INVALID, "frame on channel %d before connection.open", number);
    }
    AmqpChannel ch = channels.get(number);
    if (ch == null) {
      openChannel(frame);
      return;
    }
    ch.handleFrame(frame);
  }

  private void openChannel(Frame frame) throws AmqpException {
    int number = frame.channel();
    // RabbitMQ limits how many channels are open, not their numbers (rabbit_reader).
    if (channels.size() >= channelMax) {
      throw AmqpException.connection(
          ReplyCode.NOT_ALLOWED,
          "number of channels opened (%d) has reached the negotiated channel_max (%d)",
          channels.size(),
          channelMax);
    }
    AmqpMethod method = null;
    if (frame.type() == Frame.METHOD) {
      ByteBuf p = frame.payload();
      method = AmqpMethod.decode(p.readUnsignedShort(), p.readUnsignedShort(), p);
    }
    if (!(method instanceof AmqpMethod.ChannelOpen)) {
      throw AmqpException.connection(ReplyCode.CHANNEL_ERROR, "expected 'channel.open'")
          .causedBy(method);
    }
    AmqpChannel ch = new AmqpChannel(this, number);
    channels.put(number, ch);
    send(number, new AmqpMethod.ChannelOpenOk(new byte[0]));
  }

  /** A channel finished its close handshake and leaves the table. */
  void channelClosed(AmqpChannel ch) {
    channels.remove(ch.number(), ch);
  }

  // ------------------------------------------------------------------ channel 0 methods

  @Override
  public void connectionStartOk(ConnectionStartOk m) throws AmqpException {
    expect(State.AWAITING_START_OK, m);
    clientProperties = m.clientProperties();
    Object caps = clientProperties.get("capabilities");
    if (caps instanceof Map<?, ?> c) {
      consumerCancelNotify = Boolean.TRUE.equals(c.get("consumer_cancel_notify"));
      authenticationFailureClose = Boolean.TRUE.equals(c.get("authentication_failure_close"));
      blockedNotifications = Boolean.TRUE.equals(c.get("connection.blocked"));
    }
    if (!Authenticator.MECHANISMS.contains(m.mechanism()) || m.mechanism().isEmpty()) {
      throw AmqpException.connection(
              ReplyCode.ACCESS_REFUSED,
              "unsupported authentication mechanism '%s', supported: %s",
              m.mechanism(),
              Authenticator.MECHANISMS.replace(' ', ','))
          .causedBy(m);
    }
    Authenticator.Result result =
        broker
            .authenticator()
            .authenticate(m.mechanism(), m.response(), ctx.channel().remoteAddress());
    if (!result.ok()) {
      LOG.log(
          Level.WARNING,
          "login refused for user ''{0}'' from {1}: {2}",
          result.user(),
          peer(),
          result.failure());
      AmqpException refused =
          AmqpException.connection(
                  ReplyCode.ACCESS_REFUSED,
                  "Login was refused using authentication mechanism %s. For details see the broker"
                      + " logfile.",
                  m.mechanism())
              .causedBy(m);
      if (authenticationFailureClose) {
        throw refused;
      }
      state = State.CLOSED;
      ctx.close();
      return;
    }
    user = result.user();
    state = State.AWAITING_TUNE_OK;
    send(
        0,
        new AmqpMethod.ConnectionTune(
            limits.channelMax(), limits.frameMax(), limits.heartbeatSeconds()));
  }

  @Override
  public void connectionSecureOk(ConnectionSecureOk m) throws AmqpException {
    throw AmqpException.connection(ReplyCode.COMMAND_INVALID, "unexpected connection.secure-ok");
  }

  @Override
  public void connectionTuneOk(ConnectionTuneOk m) throws AmqpException {
    expect(State.AWAITING_TUNE_OK, m);
    int proposedFrameMax = m.frameMax() == 0 ? limits.frameMax() : m.frameMax();
    if (proposedFrameMax < Frame.MIN_SIZE) {
      throw AmqpException.connection(
          ReplyCode.NOT_ALLOWED,
          "negotiated frame_max = %d is lower than the minimum allowed value (%d)",
          m.frameMax(),
          Frame.MIN_SIZE);
    }
    if (Integer.toUnsignedLong(proposedFrameMax) > limits.frameMax()) {
      throw AmqpException.connection(
          ReplyCode.NOT_ALLOWED,
          "negotiated frame_max = %d is higher than the maximum allowed value (%d)",
          Integer.toUnsignedLong(m.frameMax()),
          limits.frameMax());
    }
    frameMax = proposedFrameMax;
    channelMax =
        m.channelMax() == 0 ? limits.channelMax() : Math.min(m.channelMax(), limits.channelMax());
    ((FrameDecoder) ctx.pipeline().get(AmqpServer.DECODER)).frameMax(frameMax);
    int heartbeat = m.heartbeat();
    if (heartbeat > 0) {
      ctx.pipeline()
          .addBefore(
              AmqpServer.DECODER,
              AmqpServer.HEARTBEAT,
              new IdleStateHandler(
                  heartbeat * 2L * 1000, heartbeat * 1000L / 2, 0, TimeUnit.MILLISECONDS));
    }
    state = State.AWAITING_OPEN;
  }

  @Override
  public void connectionOpen(ConnectionOpen m) throws AmqpException {
    expect(State.AWAITING_OPEN, m);
    vhost = broker.openVhost(user, m.virtualHost());
    state = State.OPEN;
    handshakeTimeout.cancel(false);
    send(0, new AmqpMethod.ConnectionOpenOk(""));
    LOG.log(
        Level.INFO,
        "accepted connection {0} (user ''{1}'', vhost ''{2}'')",
        peer(),
        user,
        m.virtualHost());
    if (broker.memoryAlarm()) {
      memoryAlarm(true);
    }
  }

  @Override
  public void connectionClose(ConnectionClose m) {
    send(0, new ConnectionCloseOk());
    state = State.CLOSED;
    ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
        .addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void connectionCloseOk(ConnectionCloseOk m) {
    state = State.CLOSED;
    ctx.close();
  }

  /** A client refreshing its credentials (OAuth 2 clients do, before their token expires). */
  @Override
  public void connectionUpdateSecret(ConnectionUpdateSecret m) throws AmqpException {
    expect(State.OPEN, m);
    // As RabbitMQ's internal user database (rabbit_auth_backend_internal:update_state) does, any
    // secret is taken: the connection is authenticated, and its user stays who it is.
    send(0, new AmqpMethod.ConnectionUpdateSecretOk());
    LOG.log(
        Level.INFO,
        "connection {0}: user ''{1}'' updated secret, reason: {2}",
        peer(),
        user,
        m.reason());
  }

  private void expect(State expected, AmqpMethod m) throws AmqpException {
    if (state != expected) {
      throw AmqpException.connection(
          ReplyCode.COMMAND_INVALID, "unexpected %s in state %s", m.protocolName(), state);
    }
  }

  // ------------------------------------------------------------------ closing

  /** Closes the connection for a hard error, or closes one channel for a soft one. */
  void closeWithError(AmqpException e) {
    if (e.detail() != null) {
      LOG.log(Level.WARNING, "connection {0}: {1}", peer(), e.detail());
    }
    closeWithError(e.text(), e.code(), e.classId(), e.methodId());
  }

  /**
   * Whether an error before tuning ends is answered with silence (AMQP 0-9-1 §4.2.2 allows just
   * closing the socket), as rabbit_reader answers it: only a refused login (to a client that asked
   * for authentication_failure_close) and a refused tune-ok get a connection.close; anything else,
   * such as a frame larger than {@link Frame#MIN_SIZE} before tune-ok, does not.
   */
  private boolean closesSilently(ReplyCode code) {
    return switch (state) {
      case AWAITING_HEADER, AWAITING_START_OK -> code != ReplyCode.ACCESS_REFUSED;
      case AWAITING_TUNE_OK -> code != ReplyCode.NOT_ALLOWED;
      default -> false;
    };
  }

  /** Stops reading, and closes the socket after {@link #SILENT_CLOSE_DELAY_SECONDS}. */
  private void closeSilently() {
    state = State.CLOSED;
    ctx.channel().config().setAutoRead(false);
    ctx.executor().schedule(() -> ctx.close(), SILENT_CLOSE_DELAY_SECONDS, TimeUnit.SECONDS);
  }

  /** Like {@link #closeWithError(AmqpException)}, naming a method that has no record. */
  private void closeWithError(String text, ReplyCode code, int classId, int methodId) {
    if (state == State.CLOSED || state == State.CLOSING) {
      return;
    }
    if (closesSilently(code)) {
      LOG.log(Level.WARNING, "closing {0} during handshake: {1}", peer(), text);
      closeSilently();
      return;
    }
    LOG.log(Level.WARNING, "closing connection {0}: {1}", peer(), text);
    forceClose(code.code(), text, classId, methodId);
  }

  /** Sends connection.close and closes the socket on close-ok or after a short wait. */
  public void forceClose(int code, String text, int classId, int methodId) {
    if (state == State.CLOSED || state == State.CLOSING || !ctx.channel().isActive()) {
      return;
    }
    state = State.CLOSING;
    for (AmqpChannel ch : new ArrayList<>(channels.values())) {
      ch.release();
    }
    channels.clear();
    ctx.channel().config().setAutoRead(true);
    send(0, new ConnectionClose(code, shortString(text), classId, methodId));
    ctx.flush();
    ctx.executor().schedule(() -> ctx.close(), CLOSE_OK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** Broker shutdown: connection.close with {@code code} from any thread, then the socket. */
  public void shutdown(int code, String text) {
    ctx.executor()
        .execute(
            () -> {
              if (state == State.OPEN) {
                forceClose(code, text, 0, 0);
              } else {
                state = State.CLOSED;
                ctx.close();
              }
            });
  }

  // ------------------------------------------------------------------ flow control

  /** The memory alarm went on or off. Any thread. */
  public void memoryAlarm(boolean on) {
    ctx.executor()
        .execute(
            () -> {
              if (state != State.OPEN) {
                return;
              }
              if (on && published) {
                setBlocker(BLOCKED_BY_ALARM, true);
              } else if (!on) {
                setBlocker(BLOCKED_BY_ALARM, false);
              }
            });
  }

  /** A channel published a message; during an alarm this blocks the connection. */
  @Override
  public void published() {
    published = true;
    if (broker.memoryAlarm() && (blockers & BLOCKED_BY_ALARM) == 0) {
      setBlocker(BLOCKED_BY_ALARM, true);
    }
  }

  /** A queue's backlog is over its bound: stop reading until it drains. */
  @Override
  public void backlogged(Queue queue) {
    if (backlogged.add(queue)) {
      setBlocker(BLOCKED_BY_BACKLOG, true);
    }
  }

  @Override
  public void backlogDrained(Queue queue) {
    ctx.executor()
        .execute(
            () -> {
              if (backlogged.remove(queue) && backlogged.isEmpty()) {
                setBlocker(BLOCKED_BY_BACKLOG, false);
              }
            });
  }

  private static long pendingWrites(ChannelHandlerContext ctx) {
    ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    return out == null ? 0 : out.totalPendingWriteBytes();
  }

  private void setBlocker(int blocker, boolean on) {
    int before = blockers;
    blockers = on ? blockers | blocker : blockers & ~blocker;
    if (before == blockers || state == State.CLOSED) {
      return;
    }
    ctx.channel().config().setAutoRead(blockers == 0 || state == State.CLOSING);
    boolean alarmBlocked = (blockers & BLOCKED_BY_ALARM) != 0;
    if (blockedNotifications && state == State.OPEN && alarmBlocked != sentBlocked) {
      sentBlocked = alarmBlocked;
      send(
          0,
          alarmBlocked
              ? new AmqpMethod.ConnectionBlocked(broker.alarmReason())
              : new AmqpMethod.ConnectionUnblocked());
      ctx.flush();
    }
  }

  // ------------------------------------------------------------------ for channels

  /** Writes a method frame without flushing; flushes happen at the end of each read batch. */
  void send(int channel, AmqpMethod method) {
    ctx.write(Frames.method(ctx.alloc(), channel, method), ctx.voidPromise());
  }

  Channel socket() {
    return ctx.channel();
  }

  ChannelHandlerContext context() {
    return ctx;
  }

  VirtualHost vhost() {
    return vhost;
  }

  BrokerServices broker() {
    return broker;
  }

  @Override
  public String user() {
    return user;
  }

  int frameMax() {
    return frameMax;
  }

  boolean consumerCancelNotify() {
    return consumerCancelNotify;
  }

  @Override
  public String ownerId() {
    return ownerId;
  }

  @Override
  public ExclusiveQueues exclusiveQueues() {
    return exclusiveQueues;
  }

  String peer() {
    return String.valueOf(ctx.channel().remoteAddress());
  }

  /** {@code text} cut to the 255 octets of UTF-8 a reply text may hold (AMQP 0-9-1 §4.2.5.3). */
  static String shortString(String text) {
    byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (utf8.length <= 255) {
      return text;
    }
    // RabbitMQ keeps 252 octets and marks the cut with "..." (rabbit_binary_generator).
    int end = 252;
    while ((utf8[end] & 0xC0) == 0x80) { // do not split a character
      end--;
    }
    return new String(utf8, 0, end, java.nio.charset.StandardCharsets.UTF_8) + "...";
  }
}
