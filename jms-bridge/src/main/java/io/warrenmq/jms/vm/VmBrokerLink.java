package io.warrenmq.jms.vm;

import io.warrenmq.broker.Broker;
import io.warrenmq.broker.LocalBrokers;
import io.warrenmq.broker.direct.DirectConnection;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A {@link BrokerLink} to a broker running in this JVM: a {@code vm://} URI turned into the
 * broker's {@link DirectConnection}, which logs in, owns the sessions' exclusive queues and hears
 * of the broker's shutdown.
 *
 * <p>Threads: the application's, which call the broker's core directly, and a small pool of daemon
 * threads on which each session's deliveries and confirms run in order.
 */
public final class VmBrokerLink implements BrokerLink {

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final String id = UUID.randomUUID().toString();
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "warren-jms-vm-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
  private DirectConnection connection;
  private volatile Consumer<LinkException> failureListener = e -> {};

  private VmBrokerLink() {}

  /**
   * Logs in to the broker a {@code vm://} URI names: {@code vm://user:pass@NAME/VHOST}, where NAME
   * is the broker's name in this JVM and the virtual host follows the AMQP URI rules (none is
   * {@code /}; {@code %2F} is {@code /}). {@code user} and {@code password}, when not null, replace
   * the URI's; without either the login is {@code guest}/{@code guest}.
   */
  public static VmBrokerLink connect(URI uri, String user, String password) throws LinkException {
    String name = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    if (name != null && name.contains("@")) {
      name = name.substring(name.lastIndexOf('@') + 1);
    }
    if (name == null || name.isEmpty()) {
      throw new LinkException("a vm:// URI names a broker: vm://NAME/VHOST, not " + uri, 0, null);
    }
    String login = "guest";
    String secret = "guest";
    String info = uri.getRawUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      login = decode(colon < 0 ? info : info.substring(0, colon));
      secret = colon < 0 ? "" : decode(info.substring(colon + 1));
    }
    if (user != null) {
      login = user;
      secret = password == null ? "" : password;
    }
    String rawPath = uri.getRawPath();
    String vhostName = rawPath == null || rawPath.isEmpty() ? "/" : decode(rawPath.substring(1));

    Broker broker = LocalBrokers.find(name);
    if (broker == null) {
      throw new LinkException("no broker named '" + name + "' is running in this JVM", 0, null);
    }
    VmBrokerLink link = new VmBrokerLink();
    try {
      link.connection = DirectConnection.open(broker, login, secret, vhostName, link::brokerClosed);
    } catch (AmqpException e) {
      throw new LinkException(
          "cannot connect to broker '" + name + "': " + e.code() + " - " + e.text(),
          e.code().code(),
          e);
    }
    if (link.connection == null) {
      throw new LinkException("broker '" + name + "' is shutting down", 0, null);
    }
    return link;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public LinkSession openSession() throws LinkException {
    VmLinkSession session = VmLinkSession.open(this, connection, pool);
    if (session == null) {
      throw new LinkException("the link is closed", 0, null);
    }
    return session;
  }

  @Override
  public boolean filtersConsumers() {
    return true;
  }

  @Override
  public boolean isOpen() {
    return connection.isOpen();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public void onFailure(Consumer<LinkException> listener) {
    this.failureListener = listener;
  }

  /**
   * Closes the sessions (their consumers leave, unacked messages go back) and exclusive queues. The
   * pool is not shut down: tasks still queued give deliveries back to their queues, and its idle
   * threads end by themselves after a minute.
   */
  @Override
  public void close() {
    connection.close();
  }

  /** The broker is stopping: the owner hears of it as of a lost connection. */
  private void brokerClosed() {
    failed(
        new LinkException(
            "connection lost: CONNECTION_FORCED - broker forced connection closure with reason"
                + " 'shutdown'",
            ReplyCode.CONNECTION_FORCED.code(),
            null));
  }

  /** A hard error in a session ends the whole link, as it closes an AMQP connection. */
  void fail(LinkException cause) {
    if (connection.close()) {
      failed(cause);
    }
  }

  private void failed(LinkException cause) {
    // On a thread of the link's, as BrokerLink promises, not on the one closing the broker.
    pool.execute(() -> failureListener.accept(cause));
  }
}
