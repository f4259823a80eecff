package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Line feeds and carriage returns in exchange and queue names, as RabbitMQ treats them: declare,
 * delete, bind and unbind remove them from the names ({@code "a\nb"} is {@code "ab"}), while
 * publish, get, consume and purge take names as sent, and routing keys keep them everywhere.
 */
class LineBreaksInNamesIT extends MessagingSupport {

  private final List<String> exchanges = new ArrayList<>();
  private Channel channel;
  private String base;

  @BeforeEach
  void openChannel() throws Exception {
    channel = newConnection().createChannel();
    base = uniqueName("crlf");
  }

  @AfterEach
  void deleteExchanges() throws Exception {
    Channel cleanup = newConnection().createChannel();
    for (String exchange : exchanges) {
      cleanup.exchangeDelete(exchange);
    }
  }

  @Test
  void queueDeclareRemovesLineBreaksFromTheName() throws Exception {
    String declared = channel.queueDeclare(base + "-a\r\nb", false, true, false, null).getQueue();

    assertEquals(base + "-ab", declared);
    assertEquals(declared, channel.queueDeclarePassive(base + "-ab").getQueue());
    assertEquals(declared, channel.queueDeclarePassive(base + "-a\nb").getQueue());
  }

  @Test
  void queueNameOfOnlyLineBreaksDeclaresAServerNamedQueue() throws Exception {
    String declared = channel.queueDeclare("\r\n", false, true, false, null).getQueue();

    assertTrue(declared.startsWith("amq.gen-"), declared);
  }

  @Test
  void reservedPrefixIsCheckedOnTheNameWithoutLineBreaks() throws Exception {
    var close =
        channelError(channel, () -> channel.queueDeclare("amq.\nx", false, true, false, null));

    assertChannelClose(
        close, 403, "ACCESS_REFUSED - queue name 'amq.x' contains reserved prefix 'amq.*'", 50, 10);
  }

  @Test
  void exchangeDeclareRemovesLineBreaksFromTheName() throws Exception {
    channel.exchangeDeclare(exchange("-x\ny"), "direct");

    channel.exchangeDeclarePassive(base + "-xy");
    channel.exchangeDeclarePassive(base + "-x\r\ny");
  }

  @Test
  void queueBindAndUnbindRemoveLineBreaksFromNamesButNotFromTheRoutingKey() throws Exception {
    channel.exchangeDeclare(exchange("-x\ny"), "direct");
    String queue = channel.queueDeclare(base + "-a\nb", false, true, false, null).getQueue();

    channel.queueBind(base + "-a\r\nb", base + "-x\ny", "k\n");
    publish(base + "-xy", "k\n", "bound");
    publish(base + "-xy", "k", "other key");

    assertEquals(List.of("bound"), drain(queue));

    channel.queueUnbind(base + "-a\nb", base + "-x\r\ny", "k\n");
    publish(base + "-xy", "k\n", "unbound");

    assertEquals(List.of(), drain(queue));
  }

  @Test
  void exchangeBindAndUnbindRemoveLineBreaksFromBothEnds() throws Exception {
    channel.exchangeDeclare(exchange("-source"), "direct");
    channel.exchangeDeclare(exchange("-destination"), "fanout");
    String queue = channel.queueDeclare(base + "-q", false, true, false, null).getQueue();
    channel.queueBind(queue, base + "-destination", "");

    channel.exchangeBind(base + "-desti\nnation", base + "-sou\r\nrce", "k");
    publish(base + "-source", "k", "bound");

    assertEquals(List.of("bound"), drain(queue));

    channel.exchangeUnbind(base + "-destination\n", base + "-source\r", "k");
    publish(base + "-source", "k", "unbound");

    assertEquals(List.of(), drain(queue));
  }

  @Test
  void publishingToAnExchangeNameWithLineBreaksFindsNoExchange() throws Exception {
    channel.exchangeDeclare(exchange("-x\ny"), "direct");

    var close =
        channelError(
            channel,
            () -> {
              channel.basicPublish(base + "-x\ny", "k", null, new byte[0]);
              channel.queueDeclare(); // the close arrives in its place
            });

    assertChannelClose(
        close, 404, "NOT_FOUND - no exchange '" + base + "-x\ny' in vhost '/'", 60, 40);
  }

  @Test
  void getConsumeAndPurgeTakeQueueNamesWithLineBreaksAsSent() throws Exception {
    channel.queueDeclare(base + "-a\nb", false, false, true, null);
    String missing = "NOT_FOUND - no queue '" + base + "-a\nb' in vhost '/'";
    try {
      assertChannelClose(
          channelError(channel, () -> channel.basicGet(base + "-a\nb", true)),
          404,
          missing,
          60,
          70);
      Channel consumer = newConnection().createChannel();
      assertChannelClose(
          channelError(consumer, () -> consume(consumer, base + "-a\nb", true)),
          404,
          missing,
          60,
          20);
      Channel purger = newConnection().createChannel();
      assertChannelClose(
          channelError(purger, () -> purger.queuePurge(base + "-a\nb")), 404, missing, 50, 30);
    } finally {
      newConnection().createChannel().queueDelete(base + "-ab");
    }
  }

  @Test
  void queueDeleteRemovesLineBreaksFromTheName() throws Exception {
    String queue = channel.queueDeclare(base + "-a\nb", false, true, false, null).getQueue();
    publish("", queue, "m");
    channel.basicQos(1); // a round trip, so the message is in

    assertEquals(1, channel.queueDelete(base + "-a\r\nb").getMessageCount());

    var close = channelError(channel, () -> channel.queueDeclarePassive(queue));
    assertChannelClose(close, 404, "NOT_FOUND - no queue '" + queue + "' in vhost '/'", 50, 10);
  }

  @Test
  void queueDeleteOfANameOfOnlyLineBreaksIsNotTheLastDeclaredQueue() throws Exception {
    String last = channel.queueDeclare(base + "-last", false, true, false, null).getQueue();

    assertEquals(0, channel.queueDelete("\n").getMessageCount());

    assertEquals(last, channel.queueDeclarePassive(last).getQueue());
  }

  @Test
  void exchangeDeleteRemovesLineBreaksFromTheName() throws Exception {
    channel.exchangeDeclare(base + "-x\ny", "direct");

    channel.exchangeDelete(base + "-x\r\ny");

    var close = channelError(channel, () -> channel.exchangeDeclarePassive(base + "-xy"));
    assertChannelClose(
        close, 404, "NOT_FOUND - no exchange '" + base + "-xy' in vhost '/'", 40, 10);
  }

  /** Registers for deletion the exchange that {@code base + suffix} declares, and returns it. */
  private String exchange(String suffix) {
    String name = base + suffix;
    exchanges.add(name.replace("\n", "").replace("\r", ""));
    return name;
  }

  private void publish(String exchange, String routingKey, String body) throws IOException {
    channel.basicPublish(exchange, routingKey, null, body.getBytes(UTF_8));
  }

  /** The bodies of the messages in {@code queue}, taken once everything published is in. */
  private List<String> drain(String queue) throws IOException {
    channel.basicQos(1); // a round trip after the publishes: the broker has routed them
    List<String> bodies = new ArrayList<>();
    for (var got = channel.basicGet(queue, true);
        got != null;
        got = channel.basicGet(queue, true)) {
      bodies.add(body(got));
    }
    return bodies;
  }
}
