package io.warrenmq.jms.vm;

import io.warrenmq.broker.Broker;
import io.warrenmq.broker.LocalBrokers;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.security.Authenticator;
import io.warrenmq.broker.vhost.VirtualHost;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A {@link BrokerLink} to a broker running in this JVM: the "connection" is a login checked by the
 * broker's {@link Authenticator} and a virtual host. It owns the exclusive queues its sessions
 * declare (this object is their owner, as an AMQP connection is) and deletes them when it closes.
 *
 * <p>Threads: the application's, which call the broker's core directly, and a small pool of daemon
 * threads on which each session's deliveries and confirms run in order.
 */
public final class VmBrokerLink implements BrokerLink, io.warrenmq.broker.channel.Owner {

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Broker broker;
  private final VirtualHost vhost;
  private final String user;
  private final String id = UUID.randomUUID().toString();
  private final Set<VmLinkSession> sessions = ConcurrentHashMap.newKeySet();
  private final List<Queue> exclusiveQueues = new CopyOnWriteArrayList<>();
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "warren-jms-vm-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
  private final Runnable brokerClosing = this::brokerClosing;
  private volatile Consumer<LinkException> failureListener = e -> {};
  private volatile boolean open = true;

  private VmBrokerLink(Broker broker, VirtualHost vhost, String user) {
    this.broker = broker;
    this.vhost = vhost;
    this.user = user;
  }

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
    byte[] response = ("\0" + login + "\0" + secret).getBytes(StandardCharsets.UTF_8);
    Authenticator.Result result = broker.authenticator().authenticate("PLAIN", response, null);
    if (!result.ok()) {
      throw refused(
          "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details"
              + " see the broker logfile.");
    }
    VirtualHost vhost;
    try {
      vhost = broker.openVhost(login, vhostName);
    } catch (AmqpException e) {
      throw new LinkException(
          "cannot connect to broker '" + name + "': " + e.text(), e.code().code(), e);
    }
    VmBrokerLink link = new VmBrokerLink(broker, vhost, login);
    if (!LocalBrokers.whenClosed(broker, link.brokerClosing)) {
      throw new LinkException("broker '" + name + "' is shutting down", 0, null);
    }
    return link;
  }

  private static LinkException refused(String text) {
    return new LinkException("cannot connect: " + text, ReplyCode.ACCESS_REFUSED.code(), null);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public LinkSession openSession() throws LinkException {
    if (!open) {
      throw new LinkException("the link is closed", 0, null);
    }
    VmLinkSession session =
        new VmLinkSession(this, new SerialExecutor(pool), new SerialExecutor(pool));
    sessions.add(session);
    if (!open) {
      session.close();
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
    return open;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public void onFailure(Consumer<LinkException> listener) {
    this.failureListener = listener;
  }

  @Override
  public void close() {
    if (release()) {
      LocalBrokers.forget(broker, brokerClosing);
    }
  }

  /** The broker is stopping: everything goes, and the owner hears of it as of a lost connection. */
  private void brokerClosing() {
    if (release()) {
      LinkException lost =
          new LinkException(
              "connection lost: CONNECTION_FORCED - broker forced connection closure with reason"
                  + " 'shutdown'",
              ReplyCode.CONNECTION_FORCED.code(),
              null);
      // On a thread of the link's, as BrokerLink promises, not on the one closing the broker.
      pool.execute(() -> failureListener.accept(lost));
    }
  }

  /** A hard error in a session ends the whole link, as it closes an AMQP connection. */
  void fail(LinkException cause) {
    if (release()) {
      LocalBrokers.forget(broker, brokerClosing);
      pool.execute(() -> failureListener.accept(cause));
    }
  }

  /** Closes the sessions (their consumers leave, unacked messages go back) and exclusive queues. */
  private synchronized boolean release() {
    if (!open) {
      return false;
    }
    open = false;
    for (VmLinkSession s : sessions) {
      s.close();
    }
    sessions.clear();
    for (Queue q : exclusiveQueues) {
      vhost.deleteQueue(q);
    }
    exclusiveQueues.clear();
    // The pool is not shut down: tasks still queued give deliveries back to their queues, and its
    // idle threads end by themselves after a minute.
    return true;
  }

  // ------------------------------------------------------------------ for sessions

  Broker broker() {
    return broker;
  }

  VirtualHost vhost() {
    return vhost;
  }

  @Override
  public String user() {
    return user;
  }

  /** In-VM publishers are not paused by a queue's backlog: the queue pages instead. */
  @Override
  public void backlogDrained(Queue queue) {}

  void ownExclusiveQueue(Queue q) {
    exclusiveQueues.add(q);
  }

  void exclusiveQueueDeleted(Queue q) {
    exclusiveQueues.remove(q);
  }

  void sessionClosed(VmLinkSession session) {
    sessions.remove(session);
  }
}
