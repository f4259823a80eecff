package io.warrenmq.jms.invm;

import io.warrenmq.broker.Broker;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.vhost.VirtualHost;
import io.warrenmq.jms.link.BrokerLink;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A {@link BrokerLink} that calls a broker of the same JVM directly. The link object is the owner
 * of its exclusive queues, as an AMQP connection is; closing it closes its sessions (requeueing
 * what they had not acknowledged) and deletes those queues.
 *
 * <p>Not reported to the failure listener yet: a broker shutdown (it does not tell in-VM links).
 */
public final class InVmBrokerLink implements BrokerLink {
  private final Broker broker;
  private final VirtualHost vhost;
  private final String id = UUID.randomUUID().toString();
  private final Set<InVmLinkSession> sessions = ConcurrentHashMap.newKeySet();
  private volatile boolean open = true;

  private InVmBrokerLink(Broker broker, VirtualHost vhost) {
    this.broker = broker;
    this.vhost = vhost;
  }

  /** Connects to the broker registered as {@code name}, virtual host {@code vhostName}. */
  public static InVmBrokerLink connect(String name, String vhostName) throws LinkException {
    Broker broker = InVmBrokers.lookup(name);
    if (broker == null) {
      throw new LinkException("no in-VM broker registered as '" + name + "'", 0, null);
    }
    VirtualHost vhost = broker.vhosts().get(vhostName);
    if (vhost == null) {
      throw new LinkException("NOT_ALLOWED - vhost " + vhostName + " not found", 530, null);
    }
    return new InVmBrokerLink(broker, vhost);
  }

  Broker broker() {
    return broker;
  }

  VirtualHost vhost() {
    return vhost;
  }

  void checkOpen() throws LinkException {
    if (!open) {
      throw new LinkException("the in-VM link is closed", 0, null);
    }
  }

  void sessionClosed(InVmLinkSession s) {
    sessions.remove(s);
  }

  @Override
  public LinkSession openSession() throws LinkException {
    checkOpen();
    InVmLinkSession s = new InVmLinkSession(this);
    sessions.add(s);
    return s;
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
    // A broker in the same JVM does not drop links on its own; see the class comment.
  }

  @Override
  public void close() {
    if (!open) {
      return;
    }
    open = false;
    for (InVmLinkSession s : List.copyOf(sessions)) {
      s.close();
    }
    for (Queue q : vhost.queues()) {
      if (q.exclusive() && q.exclusiveOwner() == this) {
        vhost.deleteQueue(q);
      }
    }
  }
}
