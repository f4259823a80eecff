package io.warrenmq.broker;

/** A running broker. Placeholder: the implementation lands with the core. */
public final class Broker implements AutoCloseable {

  private Broker() {}

  /** Starts a broker and returns once it listens. */
  public static Broker start(BrokerConfig config) throws InterruptedException {
    throw new UnsupportedOperationException("not yet");
  }

  /** The port the broker listens on. */
  public int port() {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Stops accepting connections, closes every open one with 320 CONNECTION_FORCED and releases
   * resources.
   */
  @Override
  public void close() {}
}
