package io.warrenmq.ra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class WarrenResourceAdapterTest {
  private static WarrenResourceAdapter adapter(int port, String users) {
    WarrenResourceAdapter ra = new WarrenResourceAdapter();
    ra.setPort(port);
    ra.setUsers(users);
    ra.setDataDir("data-" + port);
    return ra;
  }

  @Test
  void adaptersWithTheSameConfigurationAreEqualAndHashAlike() {
    assertEquals(adapter(5673, "a:b"), adapter(5673, "a:b"));
    assertEquals(adapter(5673, "a:b").hashCode(), adapter(5673, "a:b").hashCode());
  }

  @Test
  void anyDifferentPropertyMakesThemDifferent() {
    assertNotEquals(adapter(5673, "a:b"), adapter(5674, "a:b"));
    assertNotEquals(adapter(5673, "a:b"), adapter(5673, "a:c"));
    WarrenResourceAdapter remote = adapter(5673, "a:b");
    remote.setBrokerUri("amqp://h:5672/");
    assertNotEquals(adapter(5673, "a:b"), remote);
    assertNotEquals(adapter(5673, "a:b"), new Object());
  }
}
