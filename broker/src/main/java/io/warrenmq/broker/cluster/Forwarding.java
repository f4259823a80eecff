package io.warrenmq.broker.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.Wire;
import io.warrenmq.broker.store.SyncListener;
import io.warrenmq.broker.vhost.RemoteDelivery;
import io.warrenmq.broker.vhost.VirtualHost;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Messages for queues of other nodes, over the cluster port: each node has one link to every other
 * node, which sends what it is given in batches, one batch at a time, so a node receives what
 * another forwarded in the order it was forwarded. The receiving node enqueues each message on the
 * queues named and answers once it holds them (a persistent message in a durable queue: once it is
 * on disk), which is when the publisher's confirm goes out.
 *
 * <p>A request starts with its kind: {@link #ITEMS}, {@link #COUNTS}, {@link #CHANGE} or {@link
 * #FETCH} (a basic.get, {@link RemoteConsumers}). A batch of items: each its kind and its fields; a
 * forwarded message: the vhost, the queue names, exchange and routing key (short strings), then the
 * encoded content-header properties and the body (each a long length and its octets). The answer:
 * one {@link RemoteDelivery.Outcome} ordinal per message.
 */
public final class Forwarding implements RemoteDelivery {

  private static final byte ITEMS = 1;
  private static final byte COUNTS = 2;
  private static final byte CHANGE = 3;
  static final byte FETCH = 4;

  /** Item kinds in a batch: a forwarded message, and the remote consumers' traffic. */
  static final byte MESSAGE = 1;

  static final byte SUBSCRIBE = 2;
  static final byte SETTLE = 3;
  static final byte CANCEL = 4;
  static final byte DELIVER = 5;
  static final byte CANCELLED = 6;
  static final byte FETCHED = 7;
  static final byte RESTARTED = 8;

  /** An item that does nothing: answered once everything sent before it on the link was handled. */
  static final byte SYNC = 9;

  /** A consumer-kind item's answer when what it names is not here (any more). */
  static final byte UNKNOWN = 1;

  /** An item's answer when it was handled (consumer kinds). */
  static final byte OK = 0;

  private volatile RemoteConsumers consumers;

  private final java.util.concurrent.ExecutorService changes =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "warren-remote-change");
            t.setDaemon(true);
            return t;
          });

  private final ClusterNode cluster;
  private final Function<String, VirtualHost> vhosts;
  private final MemoryAccount memory;
  private final Consumer<SyncListener> whenSynced;
  private final Map<String, Link> links = new ConcurrentHashMap<>();

  /**
   * @param whenSynced calls back once everything the store holds now is on disk (or cannot be)
   */
  public Forwarding(
      ClusterNode cluster,
      Function<String, VirtualHost> vhosts,
      MemoryAccount memory,
      Consumer<SyncListener> whenSynced) {
    this.cluster = cluster;
    this.vhosts = vhosts;
    this.memory = memory;
    this.whenSynced = whenSynced;
    cluster.watchRunning(this::failStuckLinks);
  }

  /**
   * A batch on its way to a node that stopped answering the leader is answered as failed (its
   * publishes nacked) once it has waited a couple of seconds, rather than after the whole cluster
   * timeout; what the node may still have taken of it is then delivered at least once.
   */
  private void failStuckLinks(java.util.Set<String> running) {
    long now = System.nanoTime();
    for (Link link : links.values()) {
      if (!running.contains(link.node)) {
        link.failIfStuck(now);
      }
    }
  }

  @Override
  public CompletableFuture<Outcome> forward(
      String node, String vhost, List<String> queueNames, Message message) {
    return send(
            node,
            MESSAGE,
            out -> {
              Wire.writeShortString(out, vhost);
              out.writeByte(queueNames.size());
              for (String q : queueNames) {
                Wire.writeShortString(out, q);
              }
              writeMessage(out, message);
            })
        .thenApply(
            b -> b < 0 || b >= Outcome.values().length ? Outcome.FAILED : Outcome.values()[b]);
  }

  /** Exchange, routing key, encoded properties and body: copied into {@code out}. */
  static void writeMessage(ByteBuf out, Message message) {
    Wire.writeShortString(out, message.exchange());
    Wire.writeShortString(out, message.routingKey());
    ByteBuf properties = message.encodedProperties();
    out.writeInt(properties.readableBytes());
    out.writeBytes(properties, properties.readerIndex(), properties.readableBytes());
    ByteBuf body = message.body();
    out.writeInt(body.readableBytes());
    out.writeBytes(body, body.readerIndex(), body.readableBytes());
  }

  /** What {@link #writeMessage} wrote, as a message of this node's own. */
  Message readMessage(ByteBuf in) {
    return readMessage(in, memory);
  }

  /**
   * What {@link #writeMessage} wrote, as a message of this node's own, counted in {@code memory}.
   */
  static Message readMessage(ByteBuf in, MemoryAccount memory) {
    String exchange = Wire.readShortString(in);
    String routingKey = Wire.readShortString(in);
    ByteBuf properties = in.readSlice(in.readInt());
    ByteBuf body = in.readSlice(in.readInt());
    // The request's memory belongs to the transport: the message gets its own copy.
    return Message.fromWire(
        exchange,
        routingKey,
        Unpooled.copiedBuffer(properties),
        Unpooled.copiedBuffer(body),
        memory);
  }

  /**
   * Sends one item to {@code node} on the link to it, in order with every item sent there before;
   * completes with the item's answer, or -1 when it did not get there.
   */
  CompletableFuture<Byte> send(String node, byte kind, Consumer<ByteBuf> writer) {
    Link link = links.computeIfAbsent(node, Link::new);
    if (kind == MESSAGE && link.unreachable && !cluster.isRunning(node)) {
      // The last try failed and the node is known to be down: a publish is nacked at once rather
      // than wait for a timeout. Anything else (a consumer's subscription) is tried, and a success
      // clears the mark.
      return CompletableFuture.completedFuture((byte) -1);
    }
    return link.add(kind, writer);
  }

  @Override
  public io.warrenmq.broker.queue.Queue subscribe(
      String node,
      VirtualHost vhost,
      String queue,
      int prefetch,
      boolean exclusive,
      Map<String, Object> arguments) {
    return consumers.subscribe(node, vhost, queue, prefetch, exclusive, arguments);
  }

  @Override
  public CompletableFuture<VirtualHost.Got> fetch(
      String node, VirtualHost vhost, String queue, boolean noAck) {
    return consumers.fetch(node, vhost, queue, noAck);
  }

  @Override
  public void moved(VirtualHost vhost, String queue, String node) {
    RemoteConsumers handler = consumers;
    if (handler != null) {
      handler.moved(vhost, queue, node);
    }
  }

  /** Answers items of the consumer kinds ({@link RemoteConsumers}). */
  void consumers(RemoteConsumers handler) {
    this.consumers = handler;
  }

  @Override
  public CompletableFuture<int[]> counts(String node, String vhost, String queue) {
    return request(
            node,
            COUNTS,
            out -> {
              Wire.writeShortString(out, vhost);
              Wire.writeShortString(out, queue);
            })
        .thenApply(
            in -> in.readableBytes() < 8 ? new int[0] : new int[] {in.readInt(), in.readInt()});
  }

  /**
   * Asks {@code node} directly, outside the links' order: a request of {@code kind} with what
   * {@code writer} writes after it; completes with the answer.
   */
  CompletableFuture<ByteBuf> request(String node, byte kind, Consumer<ByteBuf> writer) {
    ByteBuf out = Unpooled.buffer(64);
    out.writeByte(kind);
    writer.accept(out);
    byte[] request = new byte[out.readableBytes()];
    out.readBytes(request);
    return cluster.ask(node, request).thenApply(Unpooled::wrappedBuffer);
  }

  /** The link to one node: a batch being filled, and at most one on its way. */
  private final class Link {
    private final String node;
    private ByteBuf filling = newBatch();
    private List<CompletableFuture<Byte>> waiting = new ArrayList<>();
    private boolean sending;

    /** Whether the last batch did not get there. */
    volatile boolean unreachable;

    /** The answers of the batch on its way, and since when (nanoTime). */
    private List<CompletableFuture<Byte>> onItsWay = List.of();

    private long sentAt;

    /**
     * Fails the batch on its way if it has waited two seconds, and drops the one waiting behind it:
     * the node is down (what it would have settled of a relay there is moot; a consumer's
     * acknowledgement not delivered makes a redelivery).
     */
    synchronized void failIfStuck(long now) {
      if (sending && now - sentAt > 2_000_000_000L) {
        unreachable = true;
        for (CompletableFuture<Byte> a : onItsWay) {
          a.complete((byte) -1);
        }
        for (CompletableFuture<Byte> a : waiting) {
          a.complete((byte) -1);
        }
        waiting = new ArrayList<>();
        filling = newBatch();
      }
    }

    Link(String node) {
      this.node = node;
    }

    synchronized CompletableFuture<Byte> add(byte kind, Consumer<ByteBuf> writer) {
      filling.writeByte(kind);
      writer.accept(filling);
      CompletableFuture<Byte> answer = new CompletableFuture<>();
      waiting.add(answer);
      if (!sending) {
        send();
      }
      return answer;
    }

    /** Under the monitor: sends the batch filled so far. */
    private void send() {
      ByteBuf batch = filling;
      List<CompletableFuture<Byte>> answers = waiting;
      filling = newBatch();
      waiting = new ArrayList<>();
      sending = true;
      onItsWay = answers;
      sentAt = System.nanoTime();
      byte[] bytes = new byte[batch.readableBytes()];
      batch.readBytes(bytes);
      // The link to this node itself (a consumer of a replicated queue this node came to lead)
      // takes the same path, without the transport.
      CompletableFuture<byte[]> answered =
          node.equals(cluster.name())
              ? CompletableFuture.supplyAsync(() -> receive(ByteBuffer.wrap(bytes)), changes)
                  .thenCompose(answer -> answer)
              : cluster.ask(node, bytes);
      answered.whenComplete(
          (reply, failure) -> {
            unreachable = failure != null;
            for (int i = 0; i < answers.size(); i++) {
              answers
                  .get(i)
                  .complete(
                      failure != null || reply == null || i >= reply.length ? (byte) -1 : reply[i]);
            }
            synchronized (this) {
              sending = false;
              if (!waiting.isEmpty()) {
                send();
              }
            }
          });
    }
  }

  private static ByteBuf newBatch() {
    return Unpooled.buffer(256).writeByte(ITEMS);
  }

  @Override
  public CompletableFuture<Integer> purge(String node, String vhost, String queue) {
    return change(node, Map.of("op", "purge", "vhost", vhost, "queue", queue));
  }

  @Override
  public CompletableFuture<Integer> delete(
      String node, String vhost, String queue, boolean ifUnused, boolean ifEmpty) {
    return change(
        node,
        Map.of(
            "op",
            "delete",
            "vhost",
            vhost,
            "queue",
            queue,
            "ifUnused",
            ifUnused,
            "ifEmpty",
            ifEmpty));
  }

  /** Asks a queue's node to change it; completes with its count, or its refusal. */
  private CompletableFuture<Integer> change(String node, Map<String, Object> command) {
    return request(node, CHANGE, out -> out.writeBytes(Commands.encode(command)))
        .thenApply(
            in -> {
              byte[] answer = new byte[in.readableBytes()];
              in.readBytes(answer);
              try {
                return ((Number) Commands.answer(answer).get("result")).intValue();
              } catch (io.warrenmq.broker.protocol.AmqpException e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
  }

  private byte[] changed(Map<String, Object> command) {
    VirtualHost vhost = vhosts.apply(FieldTable.string(command, "vhost"));
    String queue = FieldTable.string(command, "queue");
    try {
      if (vhost == null) {
        throw io.warrenmq.broker.protocol.AmqpException.of(
            io.warrenmq.broker.protocol.ReplyCode.NOT_FOUND, "no vhost");
      }
      int result =
          "purge".equals(FieldTable.string(command, "op"))
              ? vhost.queue(queue).purge()
              : vhost.deleteHere(
                  queue,
                  Boolean.TRUE.equals(command.get("ifUnused")),
                  Boolean.TRUE.equals(command.get("ifEmpty")));
      return Commands.encode(Map.of("result", result));
    } catch (io.warrenmq.broker.protocol.AmqpException e) {
      return Commands.refused(e);
    }
  }

  /** Answers what another node asks of this one. */
  public CompletableFuture<byte[]> receive(ByteBuffer request) {
    ByteBuf in = Unpooled.wrappedBuffer(request);
    byte kind = in.readByte();
    if (kind == CHANGE) {
      byte[] command = new byte[in.readableBytes()];
      in.readBytes(command);
      // A deletion goes through the cluster's log: not on the transport's thread.
      return CompletableFuture.supplyAsync(() -> changed(Commands.decode(command)), changes);
    }
    if (kind == FETCH) {
      RemoteConsumers handler = consumers;
      return CompletableFuture.completedFuture(handler == null ? new byte[0] : handler.take(in));
    }
    if (kind == COUNTS) {
      VirtualHost vhost = vhosts.apply(Wire.readShortString(in));
      int[] counts = vhost == null ? new int[0] : vhost.localCounts(Wire.readShortString(in));
      ByteBuf out = Unpooled.buffer(8);
      for (int c : counts) {
        out.writeInt(c);
      }
      byte[] answer = new byte[out.readableBytes()];
      out.readBytes(answer);
      return CompletableFuture.completedFuture(answer);
    }
    return receiveMessages(in);
  }

  /** Takes a batch another node sent: handles each item in order, then answers. */
  private CompletableFuture<byte[]> receiveMessages(ByteBuf in) {
    // Answers of replicated queues come in on other threads: set under the list's lock.
    List<Byte> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> replicating = new ArrayList<>();
    boolean stored = false;
    while (in.isReadable()) {
      byte kind = in.readByte();
      if (kind != MESSAGE) {
        RemoteConsumers handler = consumers;
        outcomes.add(handler == null ? (byte) -1 : handler.receive(kind, in));
        continue;
      }
      String vhostName = Wire.readShortString(in);
      int count = in.readUnsignedByte();
      List<String> queueNames = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        queueNames.add(Wire.readShortString(in));
      }
      Message message = readMessage(in);
      VirtualHost vhost = vhosts.apply(vhostName);
      try {
        if (vhost == null) {
          outcomes.add((byte) Outcome.FAILED.ordinal());
          continue;
        }
        VirtualHost.Published p = vhost.acceptForwarded(message, queueNames);
        stored |= message.storeId() != 0;
        int at = outcomes.size();
        outcomes.add((byte) (p.rejected() ? Outcome.REJECTED : Outcome.TAKEN).ordinal());
        if (p.forwarded() != null) {
          // Replicated queues (or one this node no longer leads) answer for themselves.
          replicating.add(
              p.forwarded()
                  .thenAccept(
                      o -> {
                        if (o != Outcome.TAKEN) {
                          outcomes.set(at, (byte) o.ordinal());
                        }
                      }));
        }
      } finally {
        message.release();
      }
    }
    CompletableFuture<Void> replicated =
        CompletableFuture.allOf(replicating.toArray(CompletableFuture[]::new));
    if (!stored) {
      return replicated.thenApply(v -> answer(outcomes));
    }
    CompletableFuture<byte[]> onDisk = new CompletableFuture<>();
    whenSynced.accept(
        failure ->
            replicated.thenRun(
                () -> {
                  byte[] answer = answer(outcomes);
                  if (failure != null) {
                    java.util.Arrays.fill(answer, (byte) Outcome.FAILED.ordinal());
                  }
                  onDisk.complete(answer);
                }));
    return onDisk;
  }

  private static byte[] answer(List<Byte> outcomes) {
    synchronized (outcomes) {
      byte[] answer = new byte[outcomes.size()];
      for (int i = 0; i < answer.length; i++) {
        answer[i] = outcomes.get(i);
      }
      return answer;
    }
  }
}
