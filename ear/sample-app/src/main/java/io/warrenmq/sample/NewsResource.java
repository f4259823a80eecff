package io.warrenmq.sample;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Session;
import jakarta.jms.Topic;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

/** {@code POST /api/news} publishes the body to the {@code news} topic (amq.topic, key "news"). */
@Path("news")
@Stateless
public class NewsResource {
  @Resource(lookup = Resources.CONNECTION_FACTORY)
  private ConnectionFactory factory;

  @Resource(lookup = Resources.NEWS_TOPIC)
  private Topic news;

  @POST
  public Response publish(String text) throws JMSException {
    try (Connection c = factory.createConnection()) {
      Session s = c.createSession();
      s.createProducer(news).send(s.createTextMessage(text));
    }
    return Response.accepted().build();
  }
}
