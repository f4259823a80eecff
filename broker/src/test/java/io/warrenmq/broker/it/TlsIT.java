package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AMQP over TLS (AMQPS) beside the plain listener, with a key pair {@code keytool} makes for the
 * test: a client that trusts the certificate talks AMQP as usual; one that does not, or that speaks
 * plain AMQP to the TLS port, is refused while the broker goes on serving.
 */
class TlsIT {
  private static final String PASSWORD = "test-secret";

  @TempDir static Path dir;
  private static Path keystore;
  private static Broker broker;

  @BeforeAll
  static void start() throws Exception {
    keystore = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "warren",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "san=ip:127.0.0.1,dns:localhost",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD)
            .redirectErrorStream(true)
            .start();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS), "keytool finishes");
    assertEquals(0, keytool.exitValue(), new String(keytool.getInputStream().readAllBytes()));
    broker =
        Broker.start(
            BrokerConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withDataDir(dir.resolve("data"))
                .withName("tls-test")
                .withTls(new BrokerConfig.Tls(0, keystore, PASSWORD)));
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  /** A client context that trusts exactly the test's certificate. */
  private static SSLContext trustingTheServer() throws Exception {
    KeyStore server = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      server.load(in, PASSWORD.toCharArray());
    }
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    trusted.setCertificateEntry("warren", server.getCertificate("warren"));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  private static ConnectionFactory factory(int port) {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(port);
    f.setAutomaticRecoveryEnabled(false);
    f.setConnectionTimeout(5_000);
    f.setHandshakeTimeout(5_000);
    return f;
  }

  @Test
  void aClientThatTrustsTheCertificateTalksAmqpOverTls() throws Exception {
    ConnectionFactory f = factory(broker.tlsPort());
    f.useSslProtocol(trustingTheServer());
    f.enableHostnameVerification();
    try (Connection c = f.newConnection()) {
      Channel ch = c.createChannel();
      String q = ch.queueDeclare().getQueue();
      ch.basicPublish("", q, null, "secret".getBytes(UTF_8));
      assertEquals("secret", new String(ch.basicGet(q, true).getBody(), UTF_8));
    }
    try (Connection plain = factory(broker.port()).newConnection()) {
      assertTrue(plain.isOpen(), "the plain listener goes on");
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateIsRefused() throws Exception {
    ConnectionFactory f = factory(broker.tlsPort());
    SSLContext defaultTrust = SSLContext.getInstance("TLS");
    defaultTrust.init(null, null, null);
    f.useSslProtocol(defaultTrust);
    assertThrows(Exception.class, f::newConnection);
    ConnectionFactory trusting = factory(broker.tlsPort());
    trusting.useSslProtocol(trustingTheServer());
    try (Connection c = trusting.newConnection()) {
      assertTrue(c.isOpen(), "the broker goes on serving TLS clients");
    }
  }

  @Test
  void plainAmqpOnTheTlsPortIsRefused() {
    assertThrows(Exception.class, () -> factory(broker.tlsPort()).newConnection());
  }

  @Test
  void anUnreadableKeystoreStopsTheStartNamingIt() {
    Path missing = dir.resolve("missing.p12");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Broker.start(
                    BrokerConfig.defaults()
                        .withHost("127.0.0.1")
                        .withPort(0)
                        .withDataDir(dir.resolve("data2"))
                        .withName("tls-bad")
                        .withTls(new BrokerConfig.Tls(0, missing, PASSWORD))));
    assertTrue(e.getMessage().contains("missing.p12"), e.getMessage());
  }
}
