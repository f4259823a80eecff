package io.warrenmq.broker.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.channel.Channel;
import io.warrenmq.broker.channel.Consumer;
import io.warrenmq.broker.channel.DeliverySink;
import io.warrenmq.broker.channel.ExclusiveQueues;
import io.warrenmq.broker.channel.Owner;
import io.warrenmq.broker.channel.SerialExecutor;
import io.warrenmq.broker.channel.Services;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.Wire;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.store.memory.MemoryQueueStorage;
import io.warrenmq.broker.vhost.VirtualHost;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Consumers of queues that live on another node. The consumer's node holds a small local queue for
 * it (its mirror), which the consumer takes from as from any queue, with its own credit and
 * acknowledgements; the queue's node consumes for it with an ordinary channel of the channel core
 * (a relay), with the consumer's prefetch, and sends what that channel delivers to the mirror, over
 * the ordered link between the two nodes. An acknowledgement or a rejection on the consumer's node
 * goes back to the relay; a message requeued there is redelivered from the mirror. When the
 * consumer leaves, or its node does, the relay's channel closes and its queue takes back whatever
 * was not acknowledged, as RabbitMQ's queue does when a channel goes; when the queue or its node
 * goes, the consumer is cancelled (basic.cancel).
 */
public final class RemoteConsumers {

  private static final Logger LOG = Logger.getLogger(RemoteConsumers.class.getName());

  /** The most a relay has on its way to a consumer that set no prefetch. */
  private static final int UNLIMITED_PREFETCH = 256;

  private final ClusterNode cluster;
  private final Forwarding links;
  private final Function<String, VirtualHost> vhosts;
  private final Services services;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "warren-relay");
            t.setDaemon(true);
            return t;
          });

  /** A node missing from the running nodes this long is gone for relays and mirrors. */
  private static final long GONE_AFTER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(3);

  /** Since when each node has been missing from the running nodes. */
  private final Map<String, Long> absentSince = new ConcurrentHashMap<>();

  /** On the consumer's node: mirrors by relay id. */
  private final Map<String, Mirror> mirrors = new ConcurrentHashMap<>();

  /** On the queue's node: relays by id. */
  private final Map<String, Relay> relays = new ConcurrentHashMap<>();

  public RemoteConsumers(
      ClusterNode cluster,
      Forwarding links,
      Function<String, VirtualHost> vhosts,
      Services services) {
    this.cluster = cluster;
    this.links = links;
    this.vhosts = vhosts;
    this.services = services;
    links.consumers(this);
    cluster.watchRunning(this::dropGoneNodes);
  }

  public void close() {
    for (Relay r : relays.values()) {
      r.close();
    }
    for (Mirror m : mirrors.values()) {
      m.queue.delete();
    }
    pool.shutdown();
  }

  // ------------------------------------------------------------ the consumer's node

  /**
   * A local queue to consume queue {@code queueName} of node {@code home} from: the relay on that
   * node starts consuming for it now. The consumer of a replicated queue follows its leader.
   */
  public Queue subscribe(
      String home,
      VirtualHost vhost,
      String queueName,
      int prefetch,
      boolean exclusive,
      Map<String, Object> arguments) {
    Mirror mirror =
        new Mirror(
            vhost,
            queueName,
            prefetch == 0 ? UNLIMITED_PREFETCH : prefetch,
            exclusive,
            arguments == null ? Map.of() : arguments,
            vhost.leaderOf(queueName) != null);
    mirror.queue =
        new Queue(
            queueName,
            vhost.name(),
            false,
            true,
            null,
            Map.of(),
            new MemoryQueueStorage(),
            Long.MAX_VALUE,
            mirror);
    mirror.subscribeTo(home);
    return mirror.queue;
  }

  /** A replicated queue has a new leader: its consumers here consume from there. */
  void moved(VirtualHost vhost, String queueName, String node) {
    for (Mirror m : mirrors.values()) {
      if (m.follows && m.vhost == vhost && m.queueName.equals(queueName)) {
        m.follow(node);
      }
    }
  }

  /** The local stand-in of a queue of another node, for one consumer. */
  private final class Mirror implements Queue.Lifecycle {
    private final VirtualHost vhost;
    private final String queueName;
    private final int prefetch;
    private final boolean exclusive;
    private final Map<String, Object> arguments;

    /** Whether it follows a replicated queue's leader, rather than end with its node. */
    private final boolean follows;

    private final Map<Message, Long> tags = new IdentityHashMap<>();
    private volatile Queue queue;

    /** The relay that fills it now, its node, and since when (nanoTime). */
    private volatile String id;

    private volatile String home;
    private volatile long created;

    /** Since when (nanoTime) it has had no relay, waiting for its queue's next leader; 0 if not. */
    private volatile long lostSince;

    /** Its consumer went, or it was cancelled: it subscribes nowhere again. */
    private final java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();

    Mirror(
        VirtualHost vhost,
        String queueName,
        int prefetch,
        boolean exclusive,
        Map<String, Object> arguments,
        boolean follows) {
      this.vhost = vhost;
      this.queueName = queueName;
      this.prefetch = prefetch;
      this.exclusive = exclusive;
      this.arguments = arguments;
      this.follows = follows;
    }

    /** Has the queue's node {@code node} consume for it, through a new relay. */
    synchronized void subscribeTo(String node) {
      if (closed.get()) {
        return;
      }
      String previous = id;
      if (previous != null) {
        mirrors.remove(previous);
        links.send(home, Forwarding.CANCEL, out -> Wire.writeShortString(out, previous));
        // What the previous relay sent comes again from the new one, redelivered: what the
        // consumer has not taken yet goes, and settling what it has goes nowhere.
        synchronized (tags) {
          tags.clear();
        }
        queue.purge();
      }
      String relay = UUID.randomUUID().toString();
      id = relay;
      home = node;
      created = System.nanoTime();
      lostSince = 0;
      mirrors.put(relay, this);
      if (closed.get()) {
        mirrors.remove(relay); // its consumer went meanwhile: no relay for nobody
        return;
      }
      links
          .send(
              node,
              Forwarding.SUBSCRIBE,
              out -> {
                Wire.writeShortString(out, relay);
                Wire.writeShortString(out, cluster.name());
                Wire.writeShortString(out, vhost.name());
                Wire.writeShortString(out, queueName);
                out.writeInt(prefetch);
                out.writeBoolean(exclusive);
                FieldTable.write(out, arguments);
              })
          .thenAccept(
              answer -> {
                if (answer != Forwarding.OK) {
                  // The queue's node would not (or could not) consume for it.
                  lost(relay);
                }
              });
    }

    /** The queue's leader is {@code node} now. */
    synchronized void follow(String node) {
      if (closed.get()) {
        return;
      }
      if (lostSince != 0 || !node.equals(home)) {
        subscribeTo(node);
      }
    }

    void deliver(long tag, Message message, boolean redelivered) {
      synchronized (tags) {
        tags.put(message, tag);
      }
      queue.enqueue(message, null, redelivered);
    }

    @Override
    public void removed(Queue q, Message message, boolean acked) {
      Long tag;
      synchronized (tags) {
        tag = tags.remove(message);
      }
      String relay = id;
      if (tag != null) {
        links.send(
            home,
            Forwarding.SETTLE,
            out -> {
              Wire.writeShortString(out, relay);
              out.writeLong(tag);
              out.writeBoolean(acked);
            });
      }
    }

    @Override
    public void lastConsumerGone(Queue q) {
      closed.set(true);
      String relay = id;
      if (mirrors.remove(relay) != null) {
        links.send(home, Forwarding.CANCEL, out -> Wire.writeShortString(out, relay));
      }
      q.delete();
    }

    /**
     * Relay {@code relay} went, or its node did. A consumer of a replicated queue waits for the
     * queue's next leader (at most the cluster's timeout); any other is cancelled.
     */
    synchronized void lost(String relay) {
      if (!relay.equals(id) || lostSince != 0 || closed.get()) {
        return; // an earlier relay, known, or its consumer went
      }
      if (!follows || vhost.leaderOf(queueName) == null) {
        gone();
        return;
      }
      lostSince = System.nanoTime();
      String leader = vhost.leaderOf(queueName);
      if (!leader.equals(home)) {
        subscribeTo(leader); // the move was heard first
      }
    }

    /** Once a second while it waits: a leader heard of since, or the wait is over. */
    synchronized void stillLost(long now) {
      if (lostSince == 0 || closed.get()) {
        return;
      }
      String leader = vhost.leaderOf(queueName);
      if (leader == null
          || now - lostSince
              > java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(cluster.timeoutMillis())) {
        gone();
      } else if (!leader.equals(home) || cluster.isRunning(leader)) {
        subscribeTo(leader);
      }
    }

    /** The queue, its node or the relay went: the consumer is cancelled. */
    void gone() {
      closed.set(true);
      mirrors.remove(id);
      queue.delete();
    }
  }

  // ------------------------------------------------------------ basic.get

  /**
   * How a message basic.get took on the queue's node is settled there ({@link Forwarding#FETCHED}).
   */
  private static final byte ACKED = 0;

  private static final byte REJECTED = 1;
  private static final byte REQUEUED = 2;

  /** On the queue's node: what basic.gets of other nodes took and have not settled, by id. */
  private final Map<String, Taken> taken = new ConcurrentHashMap<>();

  private record Taken(String origin, Queue queue, QueueEntry entry, long created) {}

  /**
   * basic.get from queue {@code queueName} of node {@code node}: the message it took, with a
   * stand-in queue here that sends its settlement there.
   */
  CompletableFuture<VirtualHost.Got> fetch(
      String node, VirtualHost vhost, String queueName, boolean noAck) {
    // After what this node sent there before (a requeue of this channel's last get), in order.
    return links
        .send(node, Forwarding.SYNC, out -> Wire.writeShortString(out, ""))
        .thenCompose(
            synced ->
                links.request(
                    node,
                    Forwarding.FETCH,
                    out -> {
                      Wire.writeShortString(out, cluster.name());
                      Wire.writeShortString(out, vhost.name());
                      Wire.writeShortString(out, queueName);
                      out.writeBoolean(noAck);
                    }))
        .thenApply(
            in -> {
              byte status = in.readByte();
              if (status == 0) {
                return null;
              }
              if (status != 1) {
                byte[] refusal = new byte[in.readableBytes()];
                in.readBytes(refusal);
                try {
                  Commands.answer(refusal);
                } catch (AmqpException e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
                throw new java.util.concurrent.CompletionException(
                    new IllegalStateException("unreadable answer to basic.get"));
              }
              int left = in.readInt();
              boolean redelivered = in.readBoolean();
              String id = Wire.readShortString(in);
              Message message = links.readMessage(in);
              Fetched stand = new Fetched(node, id);
              Queue standIn =
                  new Queue(
                      queueName,
                      vhost.name(),
                      false,
                      false,
                      null,
                      Map.of(),
                      stand,
                      Long.MAX_VALUE,
                      stand);
              return new VirtualHost.Got(
                  standIn, QueueEntry.restored(0, message, redelivered), left);
            });
  }

  /**
   * The stand-in of the queue a basic.get took a message from on another node: its storage and
   * lifecycle send what the channel does with the message there (ack, reject, requeue) and keep
   * nothing.
   */
  private final class Fetched implements io.warrenmq.broker.queue.QueueStorage, Queue.Lifecycle {
    private final String home;
    private final String id;

    Fetched(String home, String id) {
      this.home = home;
      this.id = id;
    }

    private void settle(byte outcome) {
      if (!id.isEmpty()) {
        links.send(
            home,
            Forwarding.FETCHED,
            out -> {
              Wire.writeShortString(out, id);
              out.writeByte(outcome);
            });
      }
    }

    @Override
    public void removed(Queue q, Message message, boolean acked) {
      settle(acked ? ACKED : REJECTED);
    }

    @Override
    public void requeue(java.util.List<QueueEntry> entries) {
      settle(REQUEUED);
      for (QueueEntry e : entries) {
        e.message().release();
      }
    }

    @Override
    public void lastConsumerGone(Queue queue) {}

    @Override
    public void add(QueueEntry entry) {
      throw new UnsupportedOperationException("a basic.get stand-in takes no messages");
    }

    @Override
    public QueueEntry poll() {
      return null;
    }

    @Override
    public QueueEntry peek() {
      return null;
    }

    @Override
    public QueueEntry takeFirst(long from, java.util.function.Predicate<QueueEntry> filter) {
      return null;
    }

    @Override
    public void delivered(QueueEntry entry) {}

    @Override
    public void settle(QueueEntry entry) {}

    @Override
    public int purge() {
      return 0;
    }

    @Override
    public int size() {
      return 0;
    }

    @Override
    public long bytes() {
      return 0;
    }

    @Override
    public long nextSequence() {
      return 1;
    }

    @Override
    public void destroy() {}

    @Override
    public void close() {}
  }

  /** On the queue's node: a basic.get of another node's ({@link Forwarding#FETCH}); the answer. */
  byte[] take(ByteBuf in) {
    String origin = Wire.readShortString(in);
    String vhostName = Wire.readShortString(in);
    String queueName = Wire.readShortString(in);
    boolean noAck = in.readBoolean();
    ByteBuf out = Unpooled.buffer(256);
    try {
      VirtualHost vhost = vhosts.apply(vhostName);
      if (vhost == null) {
        throw AmqpException.of(
            io.warrenmq.broker.protocol.ReplyCode.NOT_FOUND, "no vhost '%s'", vhostName);
      }
      Queue q = vhost.queue(queueName);
      QueueEntry entry = q.get(noAck);
      if (entry == null) {
        out.writeByte(0);
      } else {
        String id = noAck ? "" : UUID.randomUUID().toString();
        out.writeByte(1);
        out.writeInt(q.messageCount());
        out.writeBoolean(entry.redelivered());
        Wire.writeShortString(out, id);
        Forwarding.writeMessage(out, entry.message());
        if (noAck) {
          q.settle(entry, false);
        } else {
          taken.put(id, new Taken(origin, q, entry, System.nanoTime()));
        }
      }
    } catch (AmqpException e) {
      out.clear();
      out.writeByte(2);
      out.writeBytes(Commands.refused(e));
    }
    byte[] answer = new byte[out.readableBytes()];
    out.readBytes(answer);
    return answer;
  }

  /** A message basic.get took for another node was settled there. */
  private void settleTaken(Taken t, byte outcome) {
    switch (outcome) {
      case ACKED -> t.queue().settle(t.entry(), true);
      case REJECTED -> t.queue().reject(t.entry(), true);
      default -> t.queue().requeue(java.util.List.of(t.entry()));
    }
  }

  // ------------------------------------------------------------ the queue's node

  /** What another node sent about its consumers or ours; the item's answer. */
  byte receive(byte kind, ByteBuf in) {
    String id = Wire.readShortString(in);
    switch (kind) {
      case Forwarding.SUBSCRIBE -> {
        String origin = Wire.readShortString(in);
        String vhostName = Wire.readShortString(in);
        String queueName = Wire.readShortString(in);
        int prefetch = in.readInt();
        boolean exclusive = in.readBoolean();
        Map<String, Object> arguments = FieldTable.read(in);
        return subscribed(id, origin, vhostName, queueName, prefetch, exclusive, arguments);
      }
      case Forwarding.SETTLE -> {
        long tag = in.readLong();
        boolean acked = in.readBoolean();
        Relay r = relays.get(id);
        if (r != null) {
          r.settle(tag, acked);
        }
        return Forwarding.OK;
      }
      case Forwarding.CANCEL -> {
        Relay r = relays.remove(id);
        if (r != null) {
          r.close();
        }
        return Forwarding.OK;
      }
      case Forwarding.DELIVER -> {
        long tag = in.readLong();
        boolean redelivered = in.readBoolean();
        Message message = links.readMessage(in);
        Mirror m = mirrors.get(id);
        try {
          if (m != null) {
            m.deliver(tag, message, redelivered);
          }
        } finally {
          message.release();
        }
        // No such mirror (its consumer went, or this node restarted since): the relay stops.
        return m != null ? Forwarding.OK : Forwarding.UNKNOWN;
      }
      case Forwarding.SYNC -> {
        return Forwarding.OK;
      }
      case Forwarding.RESTARTED -> {
        restarted(id);
        return Forwarding.OK;
      }
      case Forwarding.FETCHED -> {
        byte outcome = in.readByte();
        Taken t = taken.remove(id);
        if (t != null) {
          settleTaken(t, outcome);
        }
        return Forwarding.OK;
      }
      case Forwarding.CANCELLED -> {
        Mirror m = mirrors.get(id);
        if (m != null) {
          m.lost(id);
        }
        return Forwarding.OK;
      }
      default -> {
        return -1;
      }
    }
  }

  private byte subscribed(
      String id,
      String origin,
      String vhostName,
      String queueName,
      int prefetch,
      boolean exclusive,
      Map<String, Object> arguments) {
    VirtualHost vhost = vhosts.apply(vhostName);
    if (vhost == null) {
      return 1;
    }
    Relay relay = new Relay(id, origin, vhost);
    try {
      relay.channel.qos(prefetch, false);
      relay.channel.consume(queueName, id, false, exclusive, arguments, null);
    } catch (AmqpException e) {
      LOG.log(
          Level.INFO,
          "node {0} cannot consume from queue ''{1}'': {2}",
          new Object[] {origin, queueName, e.getMessage()});
      relay.channel.close();
      return 1;
    }
    relays.put(id, relay);
    return Forwarding.OK;
  }

  /** A channel of this node's consuming for a consumer of another node's. */
  private final class Relay implements DeliverySink, Owner {
    private final String id;
    private final String origin;
    private final Channel channel;
    private final ExclusiveQueues none = new ExclusiveQueues();
    private final long created = System.nanoTime();

    Relay(String id, String origin, VirtualHost vhost) {
      this.id = id;
      this.origin = origin;
      this.channel =
          new Channel(
              vhost, services, this, this, new SerialExecutor(pool), new SerialExecutor(pool));
    }

    void settle(long tag, boolean acked) {
      try {
        if (acked) {
          channel.ack(tag, false);
        } else {
          channel.nack(tag, false, false);
        }
      } catch (AmqpException e) {
        LOG.log(Level.FINE, "relay {0}: {1}", new Object[] {id, e.getMessage()});
      }
    }

    void close() {
      channel.close();
    }

    @Override
    public boolean writable() {
      return true;
    }

    @Override
    public boolean deliversAfterCancel() {
      return false;
    }

    @Override
    public void deliver(Consumer consumer, long deliveryTag, QueueEntry entry) {
      links
          .send(
              origin,
              Forwarding.DELIVER,
              out -> {
                Wire.writeShortString(out, id);
                out.writeLong(deliveryTag);
                out.writeBoolean(entry.redelivered());
                Forwarding.writeMessage(out, entry.message());
              })
          .thenAccept(
              answer -> {
                if (answer == Forwarding.UNKNOWN && relays.remove(id) != null) {
                  close(); // what it has out goes back to the queue
                }
              });
    }

    @Override
    public void cancelled(Consumer consumer) {
      relays.remove(id);
      links.send(origin, Forwarding.CANCELLED, out -> Wire.writeShortString(out, id));
      channel.close();
    }

    @Override
    public void confirmed(long sequence, boolean multiple, boolean ack) {}

    @Override
    public void returned(Message message) {}

    @Override
    public String user() {
      return "";
    }

    @Override
    public ExclusiveQueues exclusiveQueues() {
      return none;
    }

    @Override
    public String ownerId() {
      return id;
    }

    @Override
    public void backlogDrained(Queue queue) {}
  }

  /**
   * Tells every other node that this one has (re)started: what they kept for this node's earlier
   * life — relays consuming for its consumers, messages basic.get took for it — goes back to their
   * queues, and its consumers of their queues look for the queue again. A node killed and restarted
   * within seconds is never seen missing, so this is how they learn.
   */
  public void announceStart() {
    try {
      for (String n : cluster.status().members()) {
        if (!n.equals(cluster.name())) {
          links.send(n, Forwarding.RESTARTED, out -> Wire.writeShortString(out, cluster.name()));
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      LOG.log(Level.FINE, "could not tell the other nodes of this start", e);
    }
  }

  /** Node {@code node} (re)started: what this node kept for its earlier life goes. */
  private void restarted(String node) {
    for (Relay r : relays.values()) {
      if (r.origin.equals(node) && relays.remove(r.id) != null) {
        r.close();
      }
    }
    taken.forEach(
        (id, t) -> {
          if (t.origin().equals(node) && taken.remove(id) != null) {
            settleTaken(t, REQUEUED);
          }
        });
    for (Mirror m : java.util.Set.copyOf(mirrors.values())) {
      if (node.equals(m.home)) {
        m.lost(m.id);
      }
    }
  }

  /** Relays for nodes that stopped, and mirrors of nodes that stopped, go. */
  private void dropGoneNodes(java.util.Set<String> running) {
    long now = System.nanoTime();
    absentSince.keySet().removeIf(running::contains);
    for (String n : missing(running)) {
      absentSince.putIfAbsent(n, now);
    }
    for (Relay r : relays.values()) {
      if (gone(r.origin, r.created, now) && relays.remove(r.id) != null) {
        r.close();
      }
    }
    taken.forEach(
        (id, t) -> {
          if (gone(t.origin(), t.created(), now) && taken.remove(id) != null) {
            settleTaken(t, REQUEUED);
          }
        });
    for (Mirror m : java.util.Set.copyOf(mirrors.values())) {
      if (gone(m.home, m.created, now)) {
        m.lost(m.id);
      }
      m.stillLost(now);
    }
  }

  /**
   * Whether {@code node} has been missing from the running nodes for a few seconds, since before
   * something of it was made here (a node seen missing a moment too long, as a view a second old
   * may show a node that just came back, is not taken for gone).
   */
  private boolean gone(String node, long created, long now) {
    Long since = absentSince.get(node);
    return since != null && created < since && now - since >= GONE_AFTER_NANOS;
  }

  /** The nodes this node has relays or mirrors with that are missing from {@code running}. */
  private java.util.Set<String> missing(java.util.Set<String> running) {
    java.util.Set<String> nodes = new java.util.HashSet<>();
    relays.values().forEach(r -> nodes.add(r.origin));
    taken.values().forEach(t -> nodes.add(t.origin()));
    mirrors.values().forEach(m -> nodes.add(m.home));
    nodes.removeIf(running::contains);
    return nodes;
  }
}
