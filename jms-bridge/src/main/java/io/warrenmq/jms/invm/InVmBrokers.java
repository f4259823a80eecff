package io.warrenmq.jms.invm;

import io.warrenmq.broker.Broker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The brokers of this JVM that {@code vm://NAME} URIs reach. */
public final class InVmBrokers {
  private static final Map<String, Broker> BROKERS = new ConcurrentHashMap<>();

  private InVmBrokers() {}

  /** Makes {@code broker} reachable as {@code vm://name}. */
  public static void register(String name, Broker broker) {
    BROKERS.put(name, broker);
  }

  public static void unregister(String name) {
    BROKERS.remove(name);
  }

  static Broker lookup(String name) {
    return BROKERS.get(name);
  }
}
