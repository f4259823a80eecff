package io.warrenmq.broker;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The running brokers of this JVM by name ({@link BrokerConfig#name()}), so that a client in the
 * same JVM — the JMS provider's in-VM transport — can call a broker's core directly, without a
 * socket. A broker is here from the end of {@link Broker#start} until the start of {@link
 * Broker#close}; whoever holds it then hears of the close through {@link #whenClosed}.
 *
 * <p>A second broker started under a name already taken is not registered (it still listens on its
 * port), so that brokers started side by side, as tests do, never replace one another.
 */
public final class LocalBrokers {

  private static final System.Logger LOG = System.getLogger("io.warrenmq.broker");
  private static final Map<String, Broker> BY_NAME = new ConcurrentHashMap<>();
  private static final Map<Broker, List<Runnable>> CLOSE_LISTENERS = new ConcurrentHashMap<>();

  private LocalBrokers() {}

  /** The running broker named {@code name} in this JVM, or null. */
  public static Broker find(String name) {
    return BY_NAME.get(name);
  }

  /**
   * Runs {@code listener} when {@code broker} starts closing, before it closes its queues.
   *
   * @return false, without registering, when the broker is not (or no more) registered
   */
  public static boolean whenClosed(Broker broker, Runnable listener) {
    List<Runnable> listeners = CLOSE_LISTENERS.get(broker);
    if (listeners == null) {
      return false;
    }
    listeners.add(listener);
    // A close that ran between the lookup and the add has already taken the list away.
    return CLOSE_LISTENERS.get(broker) == listeners;
  }

  /** Stops hearing of a broker's close (a client that left first). */
  public static void forget(Broker broker, Runnable listener) {
    List<Runnable> listeners = CLOSE_LISTENERS.get(broker);
    if (listeners != null) {
      listeners.remove(listener);
    }
  }

  static void register(String name, Broker broker) {
    if (BY_NAME.putIfAbsent(name, broker) != null) {
      LOG.log(
          Level.WARNING,
          "another broker in this JVM is named ''{0}''; this one is not reachable in-VM",
          name);
      return;
    }
    CLOSE_LISTENERS.put(broker, new CopyOnWriteArrayList<>());
  }

  static void unregister(String name, Broker broker) {
    BY_NAME.remove(name, broker);
    List<Runnable> listeners = CLOSE_LISTENERS.remove(broker);
    if (listeners == null) {
      return;
    }
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "in-VM client failed to hear of the broker's close", e);
      }
    }
  }
}
