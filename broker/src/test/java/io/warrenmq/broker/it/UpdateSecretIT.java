package io.warrenmq.broker.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.CredentialsProvider;
import com.rabbitmq.client.impl.CredentialsRefreshService;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * connection.update-secret, which clients send when their credentials are refreshed (OAuth 2 tokens
 * before they expire): the Java client sends it from its credentials refresh service with the
 * provider's new password, and the connection goes on. As with RabbitMQ's own user database (whose
 * passwords never expire), any secret is taken: the connection is authenticated already.
 */
class UpdateSecretIT extends BrokerTestSupport {

  private final Credentials credentials = new Credentials();
  private final ManualRefresh refresh = new ManualRefresh();
  private Connection connection;

  @BeforeEach
  void connectWithRefreshableCredentials() throws Exception {
    ConnectionFactory factory = connectionFactory();
    credentials.username = factory.getUsername();
    credentials.password = factory.getPassword();
    factory.setCredentialsProvider(credentials);
    factory.setCredentialsRefreshService(refresh);
    connection = track(factory.newConnection());
  }

  @Test
  void refreshedSecretThatIsTheUsersIsAcceptedAndTheConnectionGoesOn() throws Exception {
    assertTrue(refresh.action.call(), "update-secret-ok");

    assertTrue(connection.isOpen());
    assertNotNull(connection.createChannel().queueDeclare().getQueue());
  }

  @Test
  void secretCanBeRefreshedAgainAndAgain() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertTrue(refresh.action.call(), "update-secret-ok " + i);
    }

    assertNotNull(connection.createChannel().queueDeclare().getQueue());
  }

  @Test
  void anotherSecretIsAcceptedAsRabbitMqsOwnUserDatabaseAcceptsIt() throws Exception {
    // The connection is authenticated already; its user does not change with a new secret.
    credentials.password = "not-the-password";

    assertTrue(refresh.action.call(), "update-secret-ok");

    assertNotNull(connection.createChannel().queueDeclare().getQueue());
  }

  /** Credentials that say they expire, so that the client registers them for refreshing. */
  private static final class Credentials implements CredentialsProvider {
    volatile String username;
    volatile String password;

    @Override
    public String getUsername() {
      return username;
    }

    @Override
    public String getPassword() {
      return password;
    }

    @Override
    public Duration getTimeBeforeExpiration() {
      return Duration.ofHours(1);
    }
  }

  /**
   * A refresh service that runs the client's refresh action when the test says so, where a real one
   * runs it shortly before the credentials expire. The action sends connection.update-secret and
   * returns whether update-secret-ok came back.
   */
  private static final class ManualRefresh implements CredentialsRefreshService {
    volatile Callable<Boolean> action;

    @Override
    public String register(CredentialsProvider provider, Callable<Boolean> refreshAction) {
      action = refreshAction;
      return "manual";
    }

    @Override
    public void unregister(CredentialsProvider provider, String registrationId) {}

    @Override
    public boolean isApproachingExpiration(Duration timeBeforeExpiration) {
      return false;
    }
  }
}
