package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Single active consumer ({@code x-single-active-consumer}) as RabbitMQ has it: of the consumers of
 * a queue only the first to come is fed; when it leaves, the next in line takes over, with the
 * messages the first had not acknowledged.
 */
class SingleActiveConsumerIT extends MessagingSupport {

  @Test
  void onlyTheFirstConsumerIsFedAndTheNextTakesOverWhenItLeaves() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, Map.of("x-single-active-consumer", true));
    Connection firstConnection = newConnection();
    Channel first = firstConnection.createChannel();
    first.basicQos(2);
    BlockingQueue<Delivery> toFirst = consume(first, queue, false);
    Channel second = newConnection().createChannel();
    BlockingQueue<Delivery> toSecond = consume(second, queue, true);
    assertEquals(2, consumerCount(queue));

    publish(channel, queue, "m1", "m2", "m3", "m4");
    assertEquals(List.of("m1", "m2"), nextBodies(toFirst, 2));
    assertNull(toSecond.poll(300, TimeUnit.MILLISECONDS), "the second consumer is only waiting");

    firstConnection.close();
    // What the first held comes back redelivered, in its place, ahead of the rest.
    assertEquals(List.of("m1", "m2", "m3", "m4"), nextBodies(toSecond, 4));
  }

  @Test
  void aConsumerThatArrivesLaterWaitsItsTurn() throws Exception {
    Channel channel = newConnection().createChannel();
    String queue = declareQueue(channel, Map.of("x-single-active-consumer", true));
    Channel first = newConnection().createChannel();
    String firstTag = first.basicConsume(queue, true, (t, d) -> {}, t -> {});
    Channel second = newConnection().createChannel();
    BlockingQueue<Delivery> toSecond = consume(second, queue, true);
    publish(channel, queue, "for the first");
    assertNull(toSecond.poll(300, TimeUnit.MILLISECONDS));
    first.basicCancel(firstTag);
    publish(channel, queue, "for the second");
    assertEquals("for the second", body(next(toSecond)));
  }
}
