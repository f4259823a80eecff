package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.warrenmq.broker.testing.Stress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Direct reply-to ({@code amq.rabbitmq.reply-to}) with many RPC clients at once, some of which
 * leave with requests outstanding: every reply reaches the channel that asked, once, and replies to
 * a client that is gone are dropped without troubling the server.
 */
class DirectReplyToStressIT extends StressSupport {

  private static final String REPLY_TO = "amq.rabbitmq.reply-to";

  @Test
  void everyRpcClientGetsItsOwnRepliesOnceWhileOthersComeAndGo() throws Exception {
    Connection server = newConnection();
    String requests = declareQueue(watched(server));
    for (int i = 0; i < 2; i++) {
      Channel ch = watched(server);
      ch.basicQos(20);
      ch.basicConsume(
          requests,
          false,
          (tag, d) -> {
            AMQP.BasicProperties reply =
                new AMQP.BasicProperties.Builder()
                    .correlationId(d.getProperties().getCorrelationId())
                    .build();
            ch.basicPublish("", d.getProperties().getReplyTo(), reply, d.getBody());
            ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
          },
          tag -> {});
    }

    Map<String, Integer> replies = new ConcurrentHashMap<>();
    Set<String> sent = ConcurrentHashMap.newKeySet();
    Set<String> abandoned = ConcurrentHashMap.newKeySet();
    List<Connection> clients = List.of(newConnection(), newConnection(), newConnection());
    Stress load = Stress.start();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < 9; c++) {
      Connection connection = clients.get(c % 3);
      String client = "c" + c;
      running.add(
          background(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int life = 0; life < Stress.cap(50) && load.running(); life++) {
                  String me = client + "." + life;
                  Channel ch = watched(connection);
                  Semaphore window = new Semaphore(8);
                  Set<String> outstanding = ConcurrentHashMap.newKeySet();
                  ch.basicConsume(
                      REPLY_TO,
                      true,
                      (tag, d) -> {
                        String corr = d.getProperties().getCorrelationId();
                        replies.merge(corr, 1, Integer::sum);
                        if (!corr.startsWith(me + ".")) {
                          failures.add("the reply to " + corr + " reached " + me);
                        }
                        if (outstanding.remove(corr)) {
                          window.release();
                        }
                      },
                      tag -> {});
                  int calls = random.nextInt(10, 200);
                  for (int n = 0; n < calls && load.running(); n++) {
                    if (!window.tryAcquire(5, TimeUnit.SECONDS)) {
                      failures.add(me + " waited 5 s for a reply");
                      break;
                    }
                    String corr = me + "." + n;
                    outstanding.add(corr);
                    sent.add(corr);
                    AMQP.BasicProperties props =
                        new AMQP.BasicProperties.Builder()
                            .replyTo(REPLY_TO)
                            .correlationId(corr)
                            .build();
                    ch.basicPublish("", requests, props, corr.getBytes());
                  }
                  // Half of the clients wait for their replies; the others just go.
                  if (random.nextBoolean() && !window.tryAcquire(8, 5, TimeUnit.SECONDS)) {
                    failures.add(me + " still waits for " + outstanding + " after 5 s");
                  }
                  ch.close();
                  abandoned.addAll(outstanding);
                }
              }));
    }
    join(running);
    assertEquals(List.of(), failures);
    replies.forEach((corr, n) -> assertEquals(1, n, corr + " answered " + n + " times"));
    assertTrue(sent.containsAll(replies.keySet()), "a reply to a request never sent");
    for (String corr : sent) {
      assertTrue(replies.containsKey(corr) || abandoned.contains(corr), corr + " got no reply");
    }
    Stress.settle(
        "the server to answer every request",
        () -> {
          try {
            return readyCount(requests) == 0;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    assertTrue(server.isOpen());
    assertTrue(replies.size() > 100, "only " + replies.size() + " replies");
  }
}
