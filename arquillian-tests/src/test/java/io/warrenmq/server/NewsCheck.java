package io.warrenmq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The sample's JMS send, seen from outside: a native AMQP consumer bound to {@code amq.topic} with
 * key {@code news} gets what {@code POST api/news} sends.
 */
final class NewsCheck {
  private NewsCheck() {}

  /** Posts a unique news text to {@code endpoint} and checks the native consumer receives it. */
  static void postReachesNativeConsumer(Connection amqp, URI endpoint, Duration wait)
      throws Exception {
    Channel ch = amqp.createChannel();
    try {
      String q = ch.queueDeclare().getQueue();
      ch.queueBind(q, "amq.topic", "news");
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      ch.basicConsume(
          q,
          true,
          (tag, d) -> received.add(new String(d.getBody(), StandardCharsets.UTF_8)),
          t -> {});
      String text = "rates are up " + UUID.randomUUID();
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(endpoint)
                      .timeout(wait)
                      .header("Content-Type", "text/plain")
                      .POST(HttpRequest.BodyPublishers.ofString(text))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(202, response.statusCode(), response.body());
      assertEquals(text, received.poll(wait.toSeconds(), TimeUnit.SECONDS));
    } finally {
      ch.close();
    }
  }
}
