package io.warrenmq.broker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Heartbeats (AMQP 0-9-1 §4.2.7): negotiated in connection.tune, sent by the broker when it has
 * nothing else to send, and a peer that stays silent for more than two intervals is closed.
 */
class HeartbeatIT extends BrokerTestSupport {

  @Test
  void clientThatAsksForOneSecondGetsOneSecond() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setRequestedHeartbeat(1);

    Connection connection = track(factory.newConnection());

    assertEquals(1, connection.getHeartbeat());
  }

  @Test
  void brokerProposesRabbitMqsSixtySeconds() throws Exception {
    try (RawAmqp raw = RawAmqp.connect(brokerUri())) {
      int[] tune = raw.handshake(0, 131072, 1);

      assertEquals(60, tune[2], "heartbeat in connection.tune");
    }
  }

  @Test
  void idleClientConnectionWithOneSecondHeartbeatsStaysOpen() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setRequestedHeartbeat(1);
    Connection connection = track(factory.newConnection());

    // Three intervals without traffic: only heartbeats, in both directions, keep it open.
    await().during(3, TimeUnit.SECONDS).atMost(5, TimeUnit.SECONDS).until(connection::isOpen);

    assertNotNull(connection.createChannel().queueDeclare());
  }

  @Test
  void brokerSendsHeartbeatsWhenItHasNothingElseToSend() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri(), 0, 131072, 1)) {
      int heartbeats = 0;
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500);
      while (System.nanoTime() < end) {
        // Our side of the bargain, twice an interval, so that the broker keeps us.
        raw.sendFrame(RawAmqp.HEARTBEAT, 0, new byte[0]);
        long next = Math.min(end, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500));
        try {
          while (true) {
            RawAmqp.Frame frame = raw.readFrame(next);
            assertNotNull(frame, "the broker ended a connection that sent heartbeats");
            assertEquals(
                RawAmqp.HEARTBEAT, frame.type(), "an idle connection gets only heartbeats");
            assertEquals(0, frame.channel());
            heartbeats++;
          }
        } catch (SocketTimeoutException nothingMoreUntilNext) {
          // time to send ours again
        }
      }

      assertTrue(heartbeats >= 2, "heartbeats from the broker in 3.5 s: " + heartbeats);
      raw.openChannel(1);
    }
  }

  @Test
  void peerSilentForMoreThanTwoIntervalsIsClosedByTheBroker() throws Exception {
    try (RawAmqp raw = RawAmqp.open(brokerUri(), 0, 131072, 1)) {
      long start = System.nanoTime();

      raw.readUntilEnd(Duration.ofSeconds(8)); // fails if the broker keeps the connection

      long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(silentMillis >= 1000, "closed after only " + silentMillis + " ms of silence");
    }
  }
}
