package io.warrenmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigFileTest {

  @Test
  void diskFreeLimitsReadAsRabbitMqWritesThem() {
    assertEquals(50_000_000L, ConfigFile.diskFreeLimit("50000000"));
    assertEquals(50_000_000L, ConfigFile.diskFreeLimit("50MB"));
    assertEquals(2_000_000_000L, ConfigFile.diskFreeLimit("2GB"));
    assertEquals(512L * 1024 * 1024, ConfigFile.diskFreeLimit("512MiB"));
    assertEquals(1536L, ConfigFile.diskFreeLimit("1.5KiB"));
    long ram = ConfigFile.diskFreeLimit("mem_relative:1.0");
    assertTrue(ram > 0);
    assertEquals(ram / 2, ConfigFile.diskFreeLimit("mem_relative:0.5"), 1);
  }

  @Test
  void aFileSetsListenerLimitsVhostsAndUsersReplacingGuest() throws Exception {
    Properties p = new Properties();
    p.load(
        new StringReader(
            """
            host=127.0.0.1
            port=5999
            data-dir=/var/lib/warren
            vhosts=/,orders
            users.alice.password=secret
            users.alice.vhosts=orders
            frame-max=65536
            disk-free-limit=1GB
            send-timeout=5000
            """));
    BrokerConfig cfg = ConfigFile.apply(BrokerConfig.defaults(), p);
    assertEquals("127.0.0.1", cfg.host());
    assertEquals(5999, cfg.port());
    assertEquals(Path.of("/var/lib/warren"), cfg.dataDir());
    assertEquals(Set.of("/", "orders"), cfg.vhosts());
    assertEquals(Set.of("alice"), cfg.users().keySet());
    assertEquals("secret", cfg.users().get("alice").password());
    assertFalse(cfg.users().get("alice").loopbackOnly());
    assertEquals(Set.of("orders"), cfg.permissions().get("alice"));
    assertEquals(65536, cfg.limits().frameMax());
    assertEquals(1_000_000_000L, cfg.limits().diskFreeLimit());
    assertEquals(5000, cfg.limits().sendTimeoutMillis());
  }

  @Test
  void withoutAFileTheDefaultsAreRabbitMqs() {
    BrokerConfig cfg = ConfigFile.apply(BrokerConfig.defaults(), new Properties());
    assertEquals(5672, cfg.port());
    assertTrue(cfg.users().get("guest").loopbackOnly());
    assertEquals(131_072, cfg.limits().frameMax());
    assertEquals(BrokerConfig.Limits.DEFAULT_DISK_FREE_LIMIT, cfg.limits().diskFreeLimit());
    assertEquals(30_000, cfg.limits().sendTimeoutMillis());
  }
}
