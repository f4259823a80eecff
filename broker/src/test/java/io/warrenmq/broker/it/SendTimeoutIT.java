package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.RawAmqp.HEARTBEAT;
import static io.warrenmq.broker.it.RawAmqp.args;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import io.warrenmq.broker.BrokerConfig;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.SocketFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading its socket — its reader thread stuck, its TCP window full — while the
 * broker has deliveries for it. Its heartbeats may still arrive, so heartbeat checks keep the
 * connection; the broker's writes are stuck, so nothing it sends arrives. RabbitMQ closes such a
 * connection once a write has been stuck for its send timeout (30 s, a socket option), so that the
 * client's next write fails and a client with automatic recovery reconnects. WarrenMQ does the
 * same, here with a send timeout of 3 s to keep the test short.
 */
class SendTimeoutIT extends BrokerTestSupport {

  private static final Duration CLOSED_WITHIN = Duration.ofSeconds(90);

  @BeforeAll
  static void shortSendTimeout() throws Exception {
    if (!external()) {
      restartWith(config().withLimits(BrokerConfig.Limits.defaults().withSendTimeoutMillis(3000)));
    }
  }

  @Test
  void peerThatStopsReadingIsClosedThoughItsHeartbeatsKeepArriving() throws Exception {
    Channel bystander = newConnection().createChannel();
    String queue = uniqueName("unread");
    bystander.queueDeclare(queue, false, false, false, null);
    try (RawAmqp raw = RawAmqp.open(brokerUri(), 0, 131072, 2)) {
      raw.openChannel(1);
      raw.sendMethod(
          1,
          60,
          20,
          args().shortInt(0).shortString(queue).shortString("").octet(0b10).table().bytes());
      raw.expectMethod(60, 21, Duration.ofSeconds(30)); // consume-ok, no-ack

      publishBacklog(bystander, queue); // pushed at the peer, which reads nothing from now on

      // Our heartbeats, every quarter interval, until writing fails: the broker reset the socket.
      await()
          .atMost(CLOSED_WITHIN)
          .pollInterval(Duration.ofMillis(500))
          .until(() -> !sendsHeartbeat(raw));
    } finally {
      bystander.queueDelete(queue);
    }
    assertTrue(bystander.isOpen(), "the bystander's channel");
  }

  @Test
  void clientWithAutomaticRecoveryWhoseReadsGotStuckRecovers() throws Exception {
    StallingSocketFactory sockets = new StallingSocketFactory();
    ConnectionFactory factory = connectionFactory();
    factory.setAutomaticRecoveryEnabled(true);
    factory.setNetworkRecoveryInterval(200);
    factory.setRequestedHeartbeat(2);
    factory.setSocketFactory(sockets);
    Connection connection = track(factory.newConnection());
    CountDownLatch recovered = new CountDownLatch(1);
    ((Recoverable) connection).addRecoveryListener(recoveryListener(recovered));
    Channel channel = connection.createChannel();
    String queue = uniqueName("stuck-reader");
    channel.queueDeclare(queue, false, false, false, null);
    channel.basicConsume(queue, true, (tag, delivery) -> {}, tag -> {});
    Channel publisher = newConnection().createChannel();

    try {
      sockets.stallReads();
      publishBacklog(publisher, queue);

      assertTrue(
          recovered.await(CLOSED_WITHIN.toSeconds(), TimeUnit.SECONDS),
          "the stuck connection was never closed, so the client never recovered");
      assertEquals(queue, channel.queueDeclarePassive(queue).getQueue());
    } finally {
      publisher.queueDelete(queue);
    }
  }

  /** 16 MiB in 16 KiB messages: far more than the socket buffers on both sides hold. */
  private static void publishBacklog(Channel channel, String queue) throws IOException {
    byte[] body = new byte[16 * 1024];
    for (int i = 0; i < 1024; i++) {
      channel.basicPublish("", queue, null, body);
    }
  }

  private static boolean sendsHeartbeat(RawAmqp raw) {
    try {
      raw.sendFrame(HEARTBEAT, 0, new byte[0]);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static RecoveryListener recoveryListener(CountDownLatch recovered) {
    return new RecoveryListener() {
      @Override
      public void handleRecovery(Recoverable recoverable) {
        recovered.countDown();
      }

      @Override
      public void handleRecoveryStarted(Recoverable recoverable) {}
    };
  }

  /**
   * Sockets whose reads can be stalled, as a client's reader thread stalls when its consumers do
   * not keep up: a stalled read resumes once a write on the same socket fails (the broker reset
   * it), or after two minutes so that no test waits for ever. Writes — the client's heartbeats — go
   * on.
   */
  private static final class StallingSocketFactory extends SocketFactory {

    private final AtomicReference<StallingSocket> latest = new AtomicReference<>();

    /** Stalls the reads of the socket made last, from its next read on. */
    void stallReads() {
      latest.get().stalled = true;
    }

    @Override
    public Socket createSocket() {
      StallingSocket socket = new StallingSocket();
      latest.set(socket);
      return socket;
    }

    @Override
    public Socket createSocket(String host, int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(
        String host, int port, java.net.InetAddress localHost, int localPort) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(java.net.InetAddress host, int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(
        java.net.InetAddress address, int port, java.net.InetAddress localAddress, int localPort) {
      throw new UnsupportedOperationException();
    }
  }

  private static final class StallingSocket extends Socket {

    private final CountDownLatch writeFailed = new CountDownLatch(1);
    volatile boolean stalled;

    @Override
    public InputStream getInputStream() throws IOException {
      return new FilterInputStream(super.getInputStream()) {
        @Override
        public int read() throws IOException {
          awaitUnstalled();
          return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          awaitUnstalled();
          return super.read(b, off, len);
        }
      };
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      return new FilterOutputStream(super.getOutputStream()) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          try {
            out.write(b, off, len);
          } catch (IOException e) {
            writeFailed.countDown();
            throw e;
          }
        }

        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }
      };
    }

    @Override
    public synchronized void close() throws IOException {
      writeFailed.countDown();
      super.close();
    }

    private void awaitUnstalled() throws IOException {
      if (!stalled) {
        return;
      }
      try {
        writeFailed.await(2, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
      stalled = false;
    }
  }
}
