package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.SaslMechanism;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.LongStringHelper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The connection class (AMQP 0-9-1 §1.4.2): handshake, authentication, tuning and channels. */
class ConnectionIT extends BrokerTestSupport {

  @Test
  void connectsAndDisconnectsCleanly() throws Exception {
    Connection connection = newConnection();
    assertTrue(connection.isOpen());

    connection.close();

    assertFalse(connection.isOpen());
    ShutdownSignalException reason = connection.getCloseReason();
    assertTrue(reason.isInitiatedByApplication());
    AMQP.Connection.Close close = assertInstanceOf(AMQP.Connection.Close.class, reason.getReason());
    assertEquals(200, close.getReplyCode());
    assertEquals("OK", close.getReplyText());
  }

  @Test
  void serverPropertiesNameTheServer() throws Exception {
    Map<String, Object> properties = newConnection().getServerProperties();
    for (String key : List.of("product", "version", "platform", "copyright", "information")) {
      assertInstanceOf(LongString.class, properties.get(key), key);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "publisher_confirms",
        "exchange_exchange_bindings",
        "basic.nack",
        "consumer_cancel_notify",
        "connection.blocked",
        "authentication_failure_close",
        "per_consumer_qos",
        "direct_reply_to"
      })
  void serverAnnouncesCapability(String capability) throws Exception {
    Map<String, Object> properties = newConnection().getServerProperties();
    @SuppressWarnings("unchecked")
    Map<String, Object> capabilities = (Map<String, Object>) properties.get("capabilities");
    assertNotNull(capabilities, "capabilities table");
    assertEquals(Boolean.TRUE, capabilities.get(capability), capability);
  }

  @Test
  void wrongPasswordIsRefusedWithAccessRefused() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setPassword("not-the-password");

    // The client announces authentication_failure_close, so the broker closes with 403.
    AuthenticationFailureException e =
        assertThrows(AuthenticationFailureException.class, factory::newConnection);

    assertTrue(
        e.getMessage()
            .startsWith("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"),
        e.getMessage());
  }

  @Test
  void unknownUserIsRefusedWithAccessRefused() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setUsername(uniqueName("nobody"));

    AuthenticationFailureException e =
        assertThrows(AuthenticationFailureException.class, factory::newConnection);

    assertTrue(
        e.getMessage()
            .startsWith("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"),
        e.getMessage());
  }

  @Test
  void unknownVirtualHostClosesConnectionWith530() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setVirtualHost("nosuchvhost");

    IOException e = assertThrows(IOException.class, factory::newConnection);

    ShutdownSignalException signal = assertInstanceOf(ShutdownSignalException.class, e.getCause());
    AMQP.Connection.Close close = assertInstanceOf(AMQP.Connection.Close.class, signal.getReason());
    assertEquals(530, close.getReplyCode());
    assertEquals("NOT_ALLOWED - vhost nosuchvhost not found", close.getReplyText());
    assertEquals(10, close.getClassId());
    assertEquals(40, close.getMethodId());
  }

  @Test
  void clientGetsTheServerTuneValuesWhenItAsksForNoLimits() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setRequestedChannelMax(0);
    factory.setRequestedFrameMax(0);
    factory.setRequestedHeartbeat(60);

    Connection connection = track(factory.newConnection());

    // RabbitMQ's defaults: channel_max 2047, frame_max 131072, heartbeat 60 s.
    assertEquals(2047, connection.getChannelMax());
    assertEquals(131072, connection.getFrameMax());
    assertEquals(60, connection.getHeartbeat());
  }

  @Test
  void clientGetsTheSmallerValuesItAsksFor() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setRequestedChannelMax(7);
    factory.setRequestedFrameMax(8192);
    factory.setRequestedHeartbeat(5);

    Connection connection = track(factory.newConnection());

    assertEquals(7, connection.getChannelMax());
    assertEquals(8192, connection.getFrameMax());
    assertEquals(5, connection.getHeartbeat());
  }

  @Test
  void channelsUpToTheNegotiatedChannelMaxCanBeOpened() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setRequestedChannelMax(5);
    Connection connection = track(factory.newConnection());

    List<Channel> channels = new ArrayList<>();
    for (int number = 1; number <= 5; number++) {
      Channel channel = connection.createChannel(number);
      assertNotNull(channel, "channel " + number);
      channel.queueDeclare();
      channels.add(channel);
    }

    // The client allocates channel numbers, so it refuses a sixth channel itself; what the broker
    // does with a channel number above channel_max is covered by the raw-socket tests.
    assertNull(connection.createChannel());
    assertTrue(channels.stream().allMatch(Channel::isOpen));
    assertTrue(connection.isOpen());
  }

  @Test
  void closedChannelNumberCanBeOpenedAgain() throws Exception {
    Connection connection = newConnection();
    Channel first = connection.createChannel(3);
    first.close();

    Channel again = connection.createChannel(3);

    assertNotNull(again);
    assertNotNull(again.queueDeclare());
  }

  @Test
  void serverOffersPlainAndAmqplain() throws Exception {
    AtomicReference<String[]> offered = new AtomicReference<>();
    ConnectionFactory factory = connectionFactory();
    factory.setSaslConfig(
        mechanisms -> {
          offered.set(mechanisms);
          return new AmqPlain();
        });

    track(factory.newConnection());

    List<String> mechanisms = Arrays.asList(offered.get());
    assertTrue(mechanisms.contains("PLAIN"), mechanisms::toString);
    assertTrue(mechanisms.contains("AMQPLAIN"), mechanisms::toString);
  }

  @Test
  void amqplainLoginWorks() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setSaslConfig(mechanisms -> new AmqPlain());

    Connection connection = track(factory.newConnection());

    assertTrue(connection.isOpen());
    assertNotNull(connection.createChannel().queueDeclare());
  }

  @Test
  void amqplainWithWrongPasswordIsRefused() throws Exception {
    ConnectionFactory factory = connectionFactory();
    factory.setSaslConfig(mechanisms -> new AmqPlain());
    factory.setPassword("not-the-password");

    AuthenticationFailureException e =
        assertThrows(AuthenticationFailureException.class, factory::newConnection);

    assertTrue(
        e.getMessage()
            .startsWith(
                "ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN"),
        e.getMessage());
  }

  /**
   * The AMQPLAIN mechanism, which the Java client does not ship: the response is a field table of
   * LOGIN and PASSWORD long strings, encoded without the table's leading 4-byte length.
   */
  private static final class AmqPlain implements SaslMechanism {

    @Override
    public String getName() {
      return "AMQPLAIN";
    }

    @Override
    public LongString handleChallenge(LongString challenge, String username, String password) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      writeLongStringField(out, "LOGIN", username);
      writeLongStringField(out, "PASSWORD", password);
      return LongStringHelper.asLongString(out.toByteArray());
    }

    private static void writeLongStringField(ByteArrayOutputStream out, String key, String value) {
      byte[] name = key.getBytes(StandardCharsets.UTF_8);
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      out.write(name.length);
      out.writeBytes(name);
      out.write('S');
      out.write(bytes.length >>> 24);
      out.write(bytes.length >>> 16);
      out.write(bytes.length >>> 8);
      out.write(bytes.length);
      out.writeBytes(bytes);
    }
  }
}
