package io.warrenmq.ra;

import io.warrenmq.broker.Broker;
import io.warrenmq.ra.inbound.Activation;
import io.warrenmq.ra.inbound.WarrenActivationSpec;
import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import jakarta.resource.spi.work.WorkManager;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.transaction.xa.XAResource;

/**
 * The resource adapter: at {@link #start} it starts the embedded broker (unless {@code brokerUri}
 * names a remote one), and it serves endpoint activations for message-driven beans. At {@link
 * #stop} it first deactivates every endpoint — each finishes the delivery it is running and returns
 * the rest to the broker — and only then closes the broker, whose store keeps every persistent
 * message.
 *
 * <p>Its JavaBean properties are the {@code config-property} entries of {@code ra.xml}; they write
 * into one {@link AdapterConfig}.
 */
public class WarrenResourceAdapter implements ResourceAdapter {
  private static final Logger LOG = Logger.getLogger(WarrenResourceAdapter.class.getName());

  private final AdapterConfig config = new AdapterConfig();
  private final Map<ActivationKey, Activation> activations = new ConcurrentHashMap<>();
  private volatile WorkManager workManager;
  private volatile Broker broker;
  private volatile URI uri;
  private volatile URI jmsUri;

  private record ActivationKey(MessageEndpointFactory factory, ActivationSpec spec) {}

  public AdapterConfig config() {
    return config;
  }

  /** The AMQP URI of the broker (the embedded one's address); null before {@link #start}. */
  public URI connectionUri() {
    return uri;
  }

  /**
   * The URI the adapter's JMS connections use: in-VM to the embedded broker, or the remote
   * broker's; null before {@link #start}.
   */
  public URI jmsUri() {
    return jmsUri;
  }

  /** The embedded broker, or null when the adapter reaches a remote one or is stopped. */
  public Broker embeddedBroker() {
    return broker;
  }

  WorkManager workManager() {
    return workManager;
  }

  @Override
  public void start(BootstrapContext context) throws ResourceAdapterInternalException {
    workManager = context.getWorkManager();
    if (config.brokerUri() != null || !config.embedded()) {
      if (config.brokerUri() == null) {
        throw new ResourceAdapterInternalException(
            "WARRENRA0003 embedded is false but no brokerUri is configured");
      }
      uri = config.connectionUri(0);
      jmsUri = uri;
      LOG.log(Level.INFO, "WARRENRA0002 resource adapter started for {0}", config);
      return;
    }
    try {
      broker = Broker.start(config.brokerConfig());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ResourceAdapterInternalException("WARRENRA0004 interrupted starting the broker", e);
    } catch (RuntimeException e) {
      throw new ResourceAdapterInternalException(
          "WARRENRA0004 cannot start the embedded broker: " + e.getMessage(), e);
    }
    uri = config.connectionUri(broker.port());
    jmsUri = config.jmsUri();
    LOG.log(
        Level.INFO,
        "WARRENRA0001 embedded broker started: AMQP 0-9-1 on amqp://{0}:{1,number,#}, vhost {2}, data"
            + " in {3}",
        new Object[] {config.host(), broker.port(), config.virtualHost(), config.dataDir()});
  }

  @Override
  public void stop() {
    List<Activation> running = new ArrayList<>(activations.values());
    activations.clear();
    for (Activation a : running) {
      a.stop();
    }
    Broker b = broker;
    broker = null;
    if (b != null) {
      b.close();
      LOG.log(Level.INFO, "WARRENRA0005 embedded broker stopped");
    }
    uri = null;
  }

  @Override
  public void endpointActivation(MessageEndpointFactory factory, ActivationSpec spec)
      throws ResourceException {
    if (!(spec instanceof WarrenActivationSpec warrenSpec)) {
      throw new NotSupportedException("not a WarrenMQ activation spec: " + spec);
    }
    if (uri == null) {
      throw new ResourceAdapterInternalException(
          "WARRENRA0006 the resource adapter is not started");
    }
    warrenSpec.validate();
    Activation activation = new Activation(jmsUri, warrenSpec, factory, workManager);
    activation.start();
    activations.put(new ActivationKey(factory, spec), activation);
  }

  @Override
  public void endpointDeactivation(MessageEndpointFactory factory, ActivationSpec spec) {
    Activation activation = activations.remove(new ActivationKey(factory, spec));
    if (activation != null) {
      activation.stop();
    }
  }

  @Override
  public XAResource[] getXAResources(ActivationSpec[] specs) {
    return new XAResource[0];
  }

  /**
   * The Connectors specification requires the adapter JavaBean to declare {@code equals} and {@code
   * hashCode}, and WildFly's archive validation refuses to deploy an adapter that does not: two
   * adapters are equal when their configurations are, as for any JavaBean of config properties.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof WarrenResourceAdapter a
        && getClass() == a.getClass()
        && config.equals(a.config);
  }

  @Override
  public int hashCode() {
    return config.hashCode();
  }

  // ---- config-property setters (ra.xml); each writes into the one AdapterConfig --------------

  public Boolean getEmbedded() {
    return config.embedded();
  }

  public void setEmbedded(Boolean embedded) {
    config.embedded(embedded == null || embedded);
  }

  public String getHost() {
    return config.host();
  }

  public void setHost(String host) {
    config.host(host);
  }

  public Integer getPort() {
    return config.port();
  }

  public void setPort(Integer port) {
    config.port(port);
  }

  public String getDataDir() {
    return config.dataDir();
  }

  public void setDataDir(String dataDir) {
    config.dataDir(dataDir);
  }

  public String getVirtualHost() {
    return config.virtualHost();
  }

  public void setVirtualHost(String virtualHost) {
    config.virtualHost(virtualHost);
  }

  public String getUsers() {
    return config.users();
  }

  public void setUsers(String users) {
    config.users(users);
  }

  public String getBrokerUri() {
    return config.brokerUri();
  }

  public void setBrokerUri(String brokerUri) {
    config.brokerUri(brokerUri);
  }

  public String getUser() {
    return config.user();
  }

  public void setUser(String user) {
    config.user(user);
  }

  public String getPassword() {
    return config.password();
  }

  public void setPassword(String password) {
    config.password(password);
  }

  public String getNodeName() {
    return config.nodeName();
  }

  public void setNodeName(String nodeName) {
    config.nodeName(nodeName);
  }

  public Integer getClusterPort() {
    return config.clusterPort();
  }

  public void setClusterPort(Integer clusterPort) {
    config.clusterPort(clusterPort);
  }

  public String getJoin() {
    return config.join();
  }

  public void setJoin(String join) {
    config.join(join);
  }
}
