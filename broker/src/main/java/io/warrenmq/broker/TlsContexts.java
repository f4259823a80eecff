package io.warrenmq.broker;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;

/** The server side of AMQPS: Netty's TLS context over the JDK's, from a PKCS#12 keystore. */
final class TlsContexts {

  private TlsContexts() {}

  /**
   * The context for {@code tls}.
   *
   * @throws IllegalArgumentException naming the keystore when it cannot be read or holds no key
   */
  static SslContext server(BrokerConfig.Tls tls) {
    char[] password = tls.password() == null ? new char[0] : tls.password().toCharArray();
    try (InputStream in = Files.newInputStream(tls.keystore())) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(in, password);
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
      return SslContextBuilder.forServer(kmf).protocols("TLSv1.3", "TLSv1.2").build();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot use the TLS keystore " + tls.keystore().toAbsolutePath() + ": " + e.getMessage(),
          e);
    }
  }
}
