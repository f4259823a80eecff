package io.warrenmq.broker.cluster;

import io.netty.buffer.ByteBuf;
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
   * node starts consuming for it now.
   */
  public Queue subscribe(
      String home,
      VirtualHost vhost,
      String queueName,
      int prefetch,
      boolean exclusive,
      Map<String, Object> arguments) {
    String id = UUID.randomUUID().toString();
    Mirror mirror = new Mirror(id, home);
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
    mirrors.put(id, mirror);
    links
        .send(
            home,
            Forwarding.SUBSCRIBE,
            out -> {
              Wire.writeShortString(out, id);
              Wire.writeShortString(out, cluster.name());
              Wire.writeShortString(out, vhost.name());
              Wire.writeShortString(out, queueName);
              out.writeInt(prefetch == 0 ? UNLIMITED_PREFETCH : prefetch);
              out.writeBoolean(exclusive);
              FieldTable.write(out, arguments == null ? Map.of() : arguments);
            })
        .thenAccept(
            answer -> {
              if (answer != Forwarding.OK) {
                // The queue's node would not (or could not) consume for it: cancelled.
                mirror.gone();
              }
            });
    return mirror.queue;
  }

  /** The local stand-in of a queue of another node, for one consumer. */
  private final class Mirror implements Queue.Lifecycle {
    private final String id;
    private final String home;
    private final Map<Message, Long> tags = new IdentityHashMap<>();
    private final long created = System.nanoTime();
    private volatile Queue queue;

    Mirror(String id, String home) {
      this.id = id;
      this.home = home;
    }

    void deliver(long tag, Message message) {
      synchronized (tags) {
        tags.put(message, tag);
      }
      queue.enqueue(message, null);
    }

    @Override
    public void removed(Queue q, Message message, boolean acked) {
      Long tag;
      synchronized (tags) {
        tag = tags.remove(message);
      }
      if (tag != null) {
        links.send(
            home,
            Forwarding.SETTLE,
            out -> {
              Wire.writeShortString(out, id);
              out.writeLong(tag);
              out.writeBoolean(acked);
            });
      }
    }

    @Override
    public void lastConsumerGone(Queue q) {
      if (mirrors.remove(id) != null) {
        links.send(home, Forwarding.CANCEL, out -> Wire.writeShortString(out, id));
      }
      q.delete();
    }

    /** The queue, its node or the relay went: the consumer is cancelled. */
    void gone() {
      mirrors.remove(id);
      queue.delete();
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
        Message message = links.readMessage(in);
        Mirror m = mirrors.get(id);
        try {
          if (m != null) {
            m.deliver(tag, message);
          }
        } finally {
          message.release();
        }
        return Forwarding.OK;
      }
      case Forwarding.CANCELLED -> {
        Mirror m = mirrors.get(id);
        if (m != null) {
          m.gone();
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
      links.send(
          origin,
          Forwarding.DELIVER,
          out -> {
            Wire.writeShortString(out, id);
            out.writeLong(deliveryTag);
            Forwarding.writeMessage(out, entry.message());
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
    for (Mirror m : mirrors.values()) {
      if (gone(m.home, m.created, now)) {
        m.gone();
      }
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
    mirrors.values().forEach(m -> nodes.add(m.home));
    nodes.removeIf(running::contains);
    return nodes;
  }
}
