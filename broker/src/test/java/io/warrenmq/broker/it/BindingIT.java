package io.warrenmq.broker.it;

import static io.warrenmq.broker.it.CloseAssertions.assertChannelClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * queue.bind, queue.unbind, exchange.bind and exchange.unbind, and what bindings let through:
 * internal exchanges, missing exchanges and the default exchange.
 */
class BindingIT extends BrokerTestSupport {

  private static final int EXCHANGE = 40;
  private static final int EXCHANGE_BIND = 30;
  private static final int EXCHANGE_UNBIND = 40;
  private static final int QUEUE = 50;
  private static final int QUEUE_BIND = 20;
  private static final int QUEUE_UNBIND = 50;
  private static final int BASIC = 60;
  private static final int PUBLISH = 40;

  private Connection connection;
  private Channel channel;
  private final List<String> exchanges = new ArrayList<>();
  private final List<String> queues = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    connection = newConnection();
    channel = connection.createChannel();
  }

  @AfterEach
  void cleanUp() throws Exception {
    try (Channel c = newConnection().createChannel()) {
      for (String exchange : exchanges) {
        c.exchangeDelete(exchange);
      }
      for (String queue : queues) {
        c.queueDelete(queue);
      }
    }
  }

  @Test
  void bindingAQueueToAMissingExchangeClosesChannelWith404() throws Exception {
    String queue = queue();
    String missing = uniqueName("x");
    assertChannelClose(
        404,
        "NOT_FOUND - no exchange '" + missing + "' in vhost '/'",
        QUEUE,
        QUEUE_BIND,
        () -> channel.queueBind(queue, missing, "k"));
  }

  @Test
  void bindingAMissingQueueClosesChannelWith404() throws Exception {
    String exchange = exchange("direct");
    String missing = uniqueName("q");
    assertChannelClose(
        404,
        "NOT_FOUND - no queue '" + missing + "' in vhost '/'",
        QUEUE,
        QUEUE_BIND,
        () -> channel.queueBind(missing, exchange, "k"));
  }

  @Test
  void bindingTwiceIsIdempotent() throws Exception {
    String exchange = exchange("direct");
    String queue = queue();
    channel.queueBind(queue, exchange, "k");
    channel.queueBind(queue, exchange, "k");

    publishConfirmed(exchange, "k", "once");

    assertEquals(1, messageCount(queue));
  }

  @Test
  void bindingWithAnEmptyQueueNameBindsTheChannelsLastDeclaredQueue() throws Exception {
    // AMQP 0-9-1 §1.7.2.3: an empty queue name refers to the queue last declared on the channel.
    String exchange = exchange("direct");
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind("", exchange, "k");

    publishConfirmed(exchange, "k", "hello");

    assertEquals(1, messageCount(queue));
  }

  @Test
  void bindingWithAnEmptyQueueNameBeforeAnyDeclareClosesChannelWith404() throws Exception {
    String exchange = exchange("direct");
    assertChannelClose(
        404,
        "NOT_FOUND - no previously declared queue",
        QUEUE,
        QUEUE_BIND,
        () -> channel.queueBind("", exchange, "k"));
  }

  @Test
  void unbindStopsDelivery() throws Exception {
    String exchange = exchange("direct");
    String queue = queue();
    channel.queueBind(queue, exchange, "k");
    channel.queueUnbind(queue, exchange, "k");

    publishConfirmed(exchange, "k", "dropped");

    assertEquals(0, messageCount(queue));
  }

  @Test
  void unbindingABindingThatDoesNotExistSucceeds() throws Exception {
    String exchange = exchange("direct");
    String queue = queue();

    channel.queueUnbind(queue, exchange, "never-bound");

    assertTrue(channel.isOpen());
  }

  @Test
  void unbindingFromAMissingExchangeSucceeds() throws Exception {
    String queue = queue();

    channel.queueUnbind(queue, uniqueName("x"), "k");

    assertTrue(channel.isOpen());
  }

  @Test
  void bindingToTheDefaultExchangeClosesChannelWith403() throws Exception {
    String queue = queue();
    assertChannelClose(
        403,
        "ACCESS_REFUSED - operation not permitted on the default exchange",
        QUEUE,
        QUEUE_BIND,
        () -> channel.queueBind(queue, "", "k"));
  }

  @Test
  void unbindingFromTheDefaultExchangeClosesChannelWith403() throws Exception {
    String queue = queue();
    assertChannelClose(
        403,
        "ACCESS_REFUSED - operation not permitted on the default exchange",
        QUEUE,
        QUEUE_UNBIND,
        () -> channel.queueUnbind(queue, "", queue));
  }

  @Test
  void exchangeToExchangeBindingForwardsMessages() throws Exception {
    String source = exchange("fanout");
    String destination = exchange("direct");
    String queue = queue();
    channel.exchangeBind(destination, source, "");
    channel.queueBind(queue, destination, "k");

    publishConfirmed(source, "k", "forwarded");
    publishConfirmed(source, "other", "not for the queue");

    GetResponse response = channel.basicGet(queue, true);
    assertNotNull(response);
    assertEquals("forwarded", new String(response.getBody(), StandardCharsets.UTF_8));
    assertEquals(source, response.getEnvelope().getExchange());
    assertEquals("k", response.getEnvelope().getRoutingKey());
    assertEquals(0, messageCount(queue));
  }

  @Test
  void exchangeUnbindStopsForwarding() throws Exception {
    String source = exchange("fanout");
    String destination = exchange("fanout");
    String queue = queue();
    channel.exchangeBind(destination, source, "");
    channel.queueBind(queue, destination, "");
    channel.exchangeUnbind(destination, source, "");

    publishConfirmed(source, "", "dropped");

    assertEquals(0, messageCount(queue));
  }

  @Test
  void exchangeBindToAMissingSourceClosesChannelWith404() throws Exception {
    String destination = exchange("fanout");
    String missing = uniqueName("x");
    assertChannelClose(
        404,
        "NOT_FOUND - no exchange '" + missing + "' in vhost '/'",
        EXCHANGE,
        EXCHANGE_BIND,
        () -> channel.exchangeBind(destination, missing, ""));
  }

  @Test
  void exchangeBindOfAMissingDestinationClosesChannelWith404() throws Exception {
    String source = exchange("fanout");
    String missing = uniqueName("x");
    assertChannelClose(
        404,
        "NOT_FOUND - no exchange '" + missing + "' in vhost '/'",
        EXCHANGE,
        EXCHANGE_BIND,
        () -> channel.exchangeBind(missing, source, ""));
  }

  @Test
  void exchangeUnbindingABindingThatDoesNotExistSucceeds() throws Exception {
    String source = exchange("fanout");
    String destination = exchange("fanout");

    channel.exchangeUnbind(destination, source, "");

    assertTrue(channel.isOpen());
  }

  @Test
  void exchangeBindToTheDefaultExchangeClosesChannelWith403() throws Exception {
    String destination = exchange("fanout");
    assertChannelClose(
        403,
        "ACCESS_REFUSED - operation not permitted on the default exchange",
        EXCHANGE,
        EXCHANGE_BIND,
        () -> channel.exchangeBind(destination, "", ""));
  }

  @Test
  void exchangeUnbindFromTheDefaultExchangeClosesChannelWith403() throws Exception {
    String destination = exchange("fanout");
    assertChannelClose(
        403,
        "ACCESS_REFUSED - operation not permitted on the default exchange",
        EXCHANGE,
        EXCHANGE_UNBIND,
        () -> channel.exchangeUnbind(destination, "", ""));
  }

  @Test
  void internalExchangeReceivesThroughAnExchangeBinding() throws Exception {
    String internal = uniqueName("internal");
    exchanges.add(internal);
    channel.exchangeDeclare(internal, "fanout", false, false, true, null);
    String source = exchange("fanout");
    String queue = queue();
    channel.queueBind(queue, internal, "");
    channel.exchangeBind(internal, source, "");

    publishConfirmed(source, "", "via source");

    assertEquals(1, messageCount(queue));
  }

  @Test
  void publishingToAnInternalExchangeClosesChannelWith403() throws Exception {
    String internal = uniqueName("internal");
    exchanges.add(internal);
    channel.exchangeDeclare(internal, "fanout", false, false, true, null);
    channel.queueBind(queue(), internal, "");

    channel.basicPublish(internal, "", null, new byte[0]);

    assertChannelClose(
        403,
        "ACCESS_REFUSED - cannot publish to internal exchange '" + internal + "' in vhost '/'",
        BASIC,
        PUBLISH,
        () -> channel.queueDeclare());
  }

  @Test
  void publishingToAMissingExchangeClosesChannelWith404() throws Exception {
    String missing = uniqueName("x");

    channel.basicPublish(missing, "k", null, new byte[0]);

    assertChannelClose(
        404,
        "NOT_FOUND - no exchange '" + missing + "' in vhost '/'",
        BASIC,
        PUBLISH,
        () -> channel.queueDeclare());
  }

  private String exchange(String type) throws Exception {
    String name = uniqueName("x");
    exchanges.add(name);
    channel.exchangeDeclare(name, type);
    return name;
  }

  private String queue() throws Exception {
    String name = uniqueName("q");
    queues.add(name);
    channel.queueDeclare(name, false, false, false, null);
    return name;
  }

  private void publishConfirmed(String exchange, String routingKey, String body) throws Exception {
    try (Channel publisher = connection.createChannel()) {
      publisher.confirmSelect();
      publisher.basicPublish(exchange, routingKey, null, body.getBytes(StandardCharsets.UTF_8));
      publisher.waitForConfirmsOrDie(10_000);
    }
  }

  private int messageCount(String queue) throws Exception {
    return channel.queueDeclarePassive(queue).getMessageCount();
  }
}
