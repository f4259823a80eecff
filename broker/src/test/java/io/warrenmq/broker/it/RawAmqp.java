package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A bare AMQP 0-9-1 peer over a plain socket, for tests that must send what no well-behaved client
 * sends: broken frames, frames out of order, silence. It writes frames byte for byte and reads the
 * broker's frames back with every read bounded by a deadline.
 */
final class RawAmqp implements AutoCloseable {

  static final int METHOD = 1;
  static final int HEADER = 2;
  static final int BODY = 3;
  static final int HEARTBEAT = 8;
  static final byte[] PROTOCOL_HEADER = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

  /** A frame the broker sent. */
  record Frame(int type, int channel, byte[] payload) {
    int classId() {
      return ByteBuffer.wrap(payload).getShort(0) & 0xFFFF;
    }

    int methodId() {
      return ByteBuffer.wrap(payload).getShort(2) & 0xFFFF;
    }

    boolean isMethod(int classId, int methodId) {
      return type == METHOD && classId() == classId && methodId() == methodId;
    }
  }

  /** The arguments of a connection.close or channel.close. */
  record Close(int code, String text, int classId, int methodId) {
    static Close of(Frame f) {
      ByteBuffer b = ByteBuffer.wrap(f.payload(), 4, f.payload().length - 4);
      int code = b.getShort() & 0xFFFF;
      byte[] text = new byte[b.get() & 0xFF];
      b.get(text);
      return new Close(code, new String(text, UTF_8), b.getShort() & 0xFFFF, b.getShort() & 0xFFFF);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final URI uri;

  private RawAmqp(URI uri, Socket socket) throws IOException {
    this.uri = uri;
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** A TCP connection to the broker, nothing sent yet. */
  static RawAmqp connect(URI uri) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
    socket.setTcpNoDelay(true);
    return new RawAmqp(uri, socket);
  }

  /** Connects and completes the handshake as guest on vhost {@code /} with these tune values. */
  static RawAmqp open(URI uri, int channelMax, int frameMax, int heartbeat) throws IOException {
    RawAmqp raw = connect(uri);
    try {
      raw.handshake(channelMax, frameMax, heartbeat);
      return raw;
    } catch (IOException | RuntimeException | Error e) {
      raw.close();
      throw e;
    }
  }

  static RawAmqp open(URI uri) throws IOException {
    return open(uri, 0, 131072, 0);
  }

  /** Sends the protocol header, start-ok, tune-ok and open; returns the broker's tune values. */
  int[] handshake(int channelMax, int frameMax, int heartbeat) throws IOException {
    Duration timeout = Duration.ofSeconds(30);
    sendRaw(PROTOCOL_HEADER);
    expectMethod(10, 10, timeout); // connection.start
    sendMethod(0, 10, 11, startOk(args().table().bytes()));
    Frame tune = expectMethod(10, 30, timeout);
    ByteBuffer t = ByteBuffer.wrap(tune.payload(), 4, 8);
    int[] offered = {t.getShort() & 0xFFFF, t.getInt(), t.getShort() & 0xFFFF};
    // RabbitMQ refuses channel_max 0 (no limit) in tune-ok when it offered a limit
    int accepted = channelMax == 0 ? offered[0] : channelMax;
    sendMethod(0, 10, 31, args().shortInt(accepted).longInt(frameMax).shortInt(heartbeat).bytes());
    sendMethod(0, 10, 40, args().shortString("/").shortString("").octet(0).bytes());
    expectMethod(10, 41, timeout);
    return offered;
  }

  /**
   * The arguments of a connection.start-ok that logs in with PLAIN as the URI's user.
   *
   * @param clientProperties an encoded field table
   */
  byte[] startOk(byte[] clientProperties) {
    String[] credentials = uri.getUserInfo().split(":", 2);
    byte[] response = ("\0" + credentials[0] + "\0" + credentials[1]).getBytes(UTF_8);
    return args()
        .raw(clientProperties)
        .shortString("PLAIN")
        .longString(response)
        .shortString("en_US")
        .bytes();
  }

  /** Opens channel {@code channel} and waits for channel.open-ok. */
  void openChannel(int channel) throws IOException {
    sendMethod(channel, 20, 10, args().shortString("").bytes());
    expectMethod(20, 11, Duration.ofSeconds(30));
  }

  Frame expectMethod(int classId, int methodId, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Frame f = readFrame(deadline);
      if (f == null) {
        throw new EOFException(
            "connection ended while waiting for method " + classId + "/" + methodId);
      }
      if (f.isMethod(classId, methodId)) {
        return f;
      }
      if (f.isMethod(10, 50)) {
        throw new IOException("connection closed while waiting: " + Close.of(f));
      }
    }
  }

  void sendMethod(int channel, int classId, int methodId, byte[] arguments) throws IOException {
    sendFrame(METHOD, channel, args().shortInt(classId).shortInt(methodId).raw(arguments).bytes());
  }

  void sendFrame(int type, int channel, byte[] payload) throws IOException {
    sendRaw(frame(type, channel, payload));
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Half-closes: the broker reads end of stream, and we can still read what it sends. */
  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** The octets of one frame. */
  static byte[] frame(int type, int channel, byte[] payload) {
    return args()
        .octet(type)
        .shortInt(channel)
        .longInt(payload.length)
        .raw(payload)
        .octet(0xCE)
        .bytes();
  }

  /**
   * The next frame, or null at end of stream or connection reset.
   *
   * @throws SocketTimeoutException when no frame begins by {@code deadline} (nanoTime), or one that
   *     began does not end within 10 s
   */
  Frame readFrame(long deadline) throws IOException {
    try {
      byte[] first = readFully(1, deadline);
      if (first == null) {
        return null;
      }
      // Once a frame has begun, read all of it: a timeout inside it would lose our place.
      byte[] rest7 = readFully(6, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      if (rest7 == null) {
        return null;
      }
      byte[] head = new byte[7];
      head[0] = first[0];
      System.arraycopy(rest7, 0, head, 1, 6);
      ByteBuffer h = ByteBuffer.wrap(head);
      int type = h.get() & 0xFF;
      int channel = h.getShort() & 0xFFFF;
      int size = h.getInt();
      byte[] rest = readFully(size + 1, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      if (rest == null) {
        return null;
      }
      byte[] payload = new byte[size];
      System.arraycopy(rest, 0, payload, 0, size);
      return new Frame(type, channel, payload);
    } catch (SocketException e) {
      return null; // reset by the broker: the connection ended
    }
  }

  private byte[] readFully(int length, long deadline) throws IOException {
    byte[] buf = new byte[length];
    int have = 0;
    while (have < length) {
      long left = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
      if (left <= 0) {
        throw new SocketTimeoutException("no complete frame before the deadline");
      }
      socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
      int n = in.read(buf, have, length - have);
      if (n < 0) {
        return null;
      }
      have += n;
    }
    return buf;
  }

  /**
   * Reads until the broker sends connection.close (answered with close-ok) or the connection ends.
   *
   * @return the close, or null when the connection ended without one
   * @throws SocketTimeoutException when neither happens within {@code timeout}
   */
  Close awaitConnectionClose(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Frame f = readFrame(deadline);
      if (f == null) {
        return null;
      }
      if (f.isMethod(10, 50)) {
        try {
          sendMethod(0, 10, 51, new byte[0]);
        } catch (IOException ignored) {
          // the broker may close the socket first; the close itself is what matters
        }
        return Close.of(f);
      }
    }
  }

  /**
   * Reads and discards everything until the broker ends the connection.
   *
   * @return all octets read
   * @throws SocketTimeoutException when the connection is still open after {@code timeout}
   */
  byte[] readUntilEnd(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      while (true) {
        long left = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
        if (left <= 0) {
          throw new SocketTimeoutException("the broker kept the connection open");
        }
        socket.setSoTimeout((int) left);
        int n = in.read(buf);
        if (n < 0) {
          return all.toByteArray();
        }
        all.write(buf, 0, n);
      }
    } catch (SocketException e) {
      return all.toByteArray(); // reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  static Args args() {
    return new Args();
  }

  /** Big-endian AMQP field encoding (AMQP 0-9-1 §4.2.5). */
  static final class Args {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Args octet(int v) {
      out.write(v);
      return this;
    }

    Args shortInt(int v) {
      out.write(v >>> 8);
      out.write(v);
      return this;
    }

    Args longInt(int v) {
      return shortInt(v >>> 16).shortInt(v);
    }

    Args longLong(long v) {
      return longInt((int) (v >>> 32)).longInt((int) v);
    }

    Args shortString(String s) {
      byte[] b = s.getBytes(UTF_8);
      out.write(b.length);
      out.writeBytes(b);
      return this;
    }

    Args longString(byte[] b) {
      longInt(b.length);
      out.writeBytes(b);
      return this;
    }

    /** An empty field table. */
    Args table() {
      return longInt(0);
    }

    Args raw(byte[] b) {
      out.writeBytes(b);
      return this;
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
