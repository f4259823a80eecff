package io.warrenmq.sample;

import jakarta.annotation.Resource;
import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.MessageDriven;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.Session;

/**
 * A durable subscriber to the {@code news} topic: it copies every news item to the queue {@code
 * news_archive}, in the delivery's container transaction. Its subscription ({@code news-archive} of
 * client {@code warren-sample}, the durable queue {@code
 * jms.shared-durable.warren-sample.news-archive}) outlives the bean: news published while the
 * application is undeployed wait there and are archived once it is back.
 *
 * <p>The archive queue is not declared here: whoever reads the archive declares it (publishing to a
 * queue that does not exist drops the message, as in RabbitMQ).
 */
@MessageDriven(
    activationConfig = {
      @ActivationConfigProperty(propertyName = "destination", propertyValue = "news"),
      @ActivationConfigProperty(
          propertyName = "destinationType",
          propertyValue = "jakarta.jms.Topic"),
      @ActivationConfigProperty(propertyName = "subscriptionDurability", propertyValue = "Durable"),
      @ActivationConfigProperty(propertyName = "subscriptionName", propertyValue = "news-archive"),
      @ActivationConfigProperty(propertyName = "clientId", propertyValue = "warren-sample"),
      @ActivationConfigProperty(propertyName = "maxSession", propertyValue = "1")
    })
public class NewsArchive implements MessageListener {
  public static final String ARCHIVE_QUEUE = "news_archive";

  @Resource(lookup = Resources.CONNECTION_FACTORY)
  private ConnectionFactory factory;

  @Override
  public void onMessage(Message news) {
    try (Connection c = factory.createConnection()) {
      Session s = c.createSession();
      s.createProducer(s.createQueue(ARCHIVE_QUEUE))
          .send(s.createTextMessage(news.getBody(String.class)));
    } catch (JMSException e) {
      throw new IllegalStateException("cannot archive the news", e);
    }
  }
}
