package io.warrenmq.jms;

import io.warrenmq.jms.amqp.AmqpBrokerLink;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.message.WarrenObjectMessage;
import io.warrenmq.jms.vm.VmBrokerLink;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.QueueConnection;
import jakarta.jms.QueueConnectionFactory;
import jakarta.jms.TopicConnection;
import jakarta.jms.TopicConnectionFactory;
import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The provider's entry point, configured by a broker URI: {@code amqp://user:pass@host:port/vhost}
 * (or {@code amqps://}) reaches a broker over the network with the RabbitMQ Java client, so it
 * works with RabbitMQ too; {@code vm://user:pass@NAME/vhost} calls a WarrenMQ broker running in the
 * same JVM under that name ({@code vm://default} for one started with the default configuration),
 * without sockets.
 *
 * <pre>{@code
 * ConnectionFactory factory = new WarrenConnectionFactory("amqp://guest:guest@localhost:5672");
 * try (JMSContext context = factory.createContext()) {
 *   context.createProducer().send(context.createQueue("orders"), "hello");
 * }
 * }</pre>
 */
public class WarrenConnectionFactory
    implements ConnectionFactory, QueueConnectionFactory, TopicConnectionFactory, Serializable {
  private static final long serialVersionUID = 1L;

  private String uri;
  private String addresses;
  private String clientId;
  private int prefetch = 64;
  private List<String> trustedPackages = new ArrayList<>(WarrenObjectMessage.DEFAULT_TRUSTED);

  public WarrenConnectionFactory() {
    this("amqp://guest:guest@localhost:5672");
  }

  public WarrenConnectionFactory(String uri) {
    setUri(uri);
  }

  public String getUri() {
    return uri;
  }

  public void setUri(String uri) {
    URI parsed = URI.create(uri);
    String scheme = parsed.getScheme();
    if (!"amqp".equals(scheme) && !"amqps".equals(scheme) && !"vm".equals(scheme)) {
      throw new IllegalArgumentException(
          "a broker URI is amqp://…, amqps://… or vm://…, not " + uri);
    }
    this.uri = uri;
  }

  /**
   * The brokers to try, {@code HOST[:PORT][,HOST[:PORT]…]}, in place of the URI's hosts (which may
   * list several too: {@code amqp://user:pass@h1:5672,h2:5672/vhost}). A connection goes to the
   * first that answers; one made after its broker went away reaches another.
   */
  public void setAddresses(String addresses) {
    this.addresses = addresses == null || addresses.isBlank() ? null : addresses.trim();
  }

  public String getAddresses() {
    return addresses;
  }

  /** The client id every connection of this factory gets (then it cannot be set again). */
  public void setClientId(String clientId) {
    this.clientId = clientId;
  }

  public String getClientId() {
    return clientId;
  }

  /** How many unacknowledged messages each consumer may hold (AMQP basic.qos). */
  public void setPrefetch(int prefetch) {
    if (prefetch < 1) {
      throw new IllegalArgumentException("prefetch must be at least 1");
    }
    this.prefetch = prefetch;
  }

  public int getPrefetch() {
    return prefetch;
  }

  /**
   * The packages (prefixes) whose classes ObjectMessage.getObject may deserialize; the default is
   * the JDK's value types.
   */
  public void setTrustedPackages(List<String> packages) {
    this.trustedPackages = new ArrayList<>(packages);
  }

  public List<String> getTrustedPackages() {
    return List.copyOf(trustedPackages);
  }

  @Override
  public WarrenConnection createConnection() throws JMSException {
    return connect(null, null);
  }

  @Override
  public WarrenConnection createConnection(String userName, String password) throws JMSException {
    return connect(userName, password);
  }

  @Override
  public QueueConnection createQueueConnection() throws JMSException {
    return connect(null, null);
  }

  @Override
  public QueueConnection createQueueConnection(String userName, String password)
      throws JMSException {
    return connect(userName, password);
  }

  @Override
  public TopicConnection createTopicConnection() throws JMSException {
    return connect(null, null);
  }

  @Override
  public TopicConnection createTopicConnection(String userName, String password)
      throws JMSException {
    return connect(userName, password);
  }

  WarrenConnection connect(String user, String password) throws JMSException {
    BrokerLink link;
    try {
      URI parsed = URI.create(uri);
      link =
          "vm".equals(parsed.getScheme())
              ? VmBrokerLink.connect(parsed, user, password)
              : AmqpBrokerLink.connect(parsed, addresses, user, password, "warren-jms");
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot connect", e);
    }
    WarrenConnection connection = new WarrenConnection(link, prefetch, trustedPackages);
    if (clientId != null) {
      connection.assignClientId(clientId);
    }
    return connection;
  }

  @Override
  public JMSContext createContext() {
    return createContext(null, null, JMSContext.AUTO_ACKNOWLEDGE);
  }

  @Override
  public JMSContext createContext(String userName, String password) {
    return createContext(userName, password, JMSContext.AUTO_ACKNOWLEDGE);
  }

  @Override
  public JMSContext createContext(int sessionMode) {
    return createContext(null, null, sessionMode);
  }

  @Override
  public JMSContext createContext(String userName, String password, int sessionMode) {
    WarrenContext.checkMode(sessionMode);
    try {
      return new WarrenContext(connect(userName, password), sessionMode);
    } catch (JMSException e) {
      throw JmsErrors.runtime(e);
    } catch (JMSRuntimeException e) {
      throw e;
    }
  }
}
