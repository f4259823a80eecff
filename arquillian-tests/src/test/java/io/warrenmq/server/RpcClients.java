package io.warrenmq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The RabbitMQ tutorial's RPC client against the sample's RPC bean on {@code rpc_queue}, run by
 * several clients at once: the smoke test of the servers that take the .ear.
 */
final class RpcClients {
  private RpcClients() {}

  /**
   * Runs {@code clients} concurrent clients of {@code callsEach} calls each on the connection,
   * every answer checked, and returns the number of calls answered; waits at most 90 s for each
   * client.
   */
  static int callConcurrently(Connection amqp, int clients, int callsEach) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        done.add(pool.submit(client(amqp, c, callsEach)));
      }
      int answered = 0;
      for (Future<Integer> d : done) {
        answered += d.get(90, TimeUnit.SECONDS);
      }
      return answered;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * One client: its own channel and reply queue, a fresh correlation id per call, and the reply
   * checked against the id and fib(n) computed here.
   */
  private static Callable<Integer> client(Connection amqp, int client, int calls) {
    return () -> {
      Channel ch = amqp.createChannel();
      try {
        String replyQueue = ch.queueDeclare().getQueue();
        BlockingQueue<Delivery> replies = new LinkedBlockingQueue<>();
        ch.basicConsume(replyQueue, true, (tag, d) -> replies.add(d), tag -> {});
        for (int i = 0; i < calls; i++) {
          int n = 10 + client * calls + i; // the first client's first call is the classic fib(10)
          String id = UUID.randomUUID().toString();
          // The first client sends no content type, as the RabbitMQ tutorial's client does (the
          // bean gets a BytesMessage), the others text/plain (a TextMessage).
          ch.basicPublish(
              "",
              "rpc_queue",
              new AMQP.BasicProperties.Builder()
                  .correlationId(id)
                  .replyTo(replyQueue)
                  .contentType(client == 0 ? null : "text/plain")
                  .build(),
              Integer.toString(n).getBytes(StandardCharsets.UTF_8));
          Delivery reply = replies.poll(30, TimeUnit.SECONDS);
          assertNotNull(reply, "reply to fib(" + n + ")");
          assertEquals(id, reply.getProperties().getCorrelationId(), "the request's id");
          assertEquals(
              Long.toString(fib(n)), new String(reply.getBody(), StandardCharsets.UTF_8), "fib");
        }
        return calls;
      } finally {
        ch.close();
      }
    };
  }

  static long fib(int n) {
    long a = 0;
    long b = 1;
    for (int i = 0; i < n; i++) {
      long next = a + b;
      a = b;
      b = next;
    }
    return a;
  }
}
