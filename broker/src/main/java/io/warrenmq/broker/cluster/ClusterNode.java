package io.warrenmq.broker.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.ExitUtils;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * This node's membership of a cluster: a Raft server (Apache Ratis, gRPC transport on the cluster
 * port) holding the cluster's metadata group, as RabbitMQ 4 holds its metadata in Khepri. Every
 * node applies the same committed metadata commands in the same order; a change is submitted by any
 * node, waits for a majority, and returns once this node has applied it too.
 *
 * <p>Forming: a node with no seeds and no state of a cluster starts one of its own; a node with
 * seeds asks them to add it (Raft's membership change, made by the leader); a node whose data
 * directory holds a member's state rejoins that cluster whatever its seeds say.
 */
public final class ClusterNode implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(ClusterNode.class.getName());

  /**
   * Ratis logs every step of every election at INFO and every failed send to a stopped peer as a
   * warning with its stack: quieter defaults, unless logging is configured for them. Held here, as
   * java.util.logging keeps only weak references to its loggers.
   */
  private static final List<Logger> QUIETER =
      List.of(
          quieter("org.apache.ratis", Level.WARNING),
          quieter("org.apache.ratis.server.leader", Level.SEVERE),
          quieter("org.apache.ratis.server.impl", Level.SEVERE),
          quieter("org.apache.ratis.grpc.server", Level.SEVERE),
          // A client's failed attempts (a node down, a leader moving) are retried, and what
          // finally fails reaches the caller as this broker's own error.
          quieter("org.apache.ratis.client", Level.OFF));

  static {
    // Ratis ends the JVM when, say, its port cannot be bound: inside an application server that
    // would take every application down. Its failures become exceptions instead.
    ExitUtils.disableSystemExit();
  }

  private static Logger quieter(String name, Level level) {
    Logger logger = Logger.getLogger(name);
    if (logger.getLevel() == null) {
      logger.setLevel(level);
    }
    return logger;
  }

  /** The metadata group's id: the same in every WarrenMQ cluster, which its peers tell apart. */
  static final RaftGroupId METADATA =
      RaftGroupId.valueOf(
          UUID.nameUUIDFromBytes("warrenmq metadata".getBytes(StandardCharsets.UTF_8)));

  /** The directory under the data directory that holds the node's Raft state. */
  public static final String DIRECTORY = "cluster";

  /**
   * How many log entries a quorum queue's group applies between two snapshots (system property
   * {@code warren.cluster.snapshotEvery}, read when a node starts).
   */
  private static long snapshotEvery() {
    return Math.max(1, Long.getLong("warren.cluster.snapshotEvery", 4096));
  }

  /** A node whose last answer to the leader is older than this is not running. */
  private static final long RUNNING_WITHIN_MILLIS = 3_000;

  private static final TimeDuration RETRY_SLEEP = TimeDuration.valueOf(100, TimeUnit.MILLISECONDS);

  private final ClusterSettings settings;
  private final RaftPeer self;
  private final RaftProperties properties;
  private final RaftServer server;
  private final MetadataStateMachine metadata;
  private RaftClient client;
  private volatile java.util.Set<String> running = null;
  private final List<java.util.function.Consumer<java.util.Set<String>>> watchers =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.concurrent.ScheduledExecutorService watch =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "warren-cluster-watch");
            t.setDaemon(true);
            return t;
          });
  private java.util.Set<RaftPeer> clientPeers = java.util.Set.of();

  /** Questions to other nodes wait for their answers here. */
  private final java.util.concurrent.ExecutorService asking =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "warren-cluster-ask");
            t.setDaemon(true);
            return t;
          });

  private ClusterNode(
      ClusterSettings settings,
      RaftPeer self,
      RaftProperties properties,
      RaftServer server,
      MetadataStateMachine metadata) {
    this.settings = settings;
    this.self = self;
    this.properties = properties;
    this.server = server;
    this.metadata = metadata;
  }

  /**
   * Starts this node's Raft server and makes it a member: of a cluster of its own, of the seeds'
   * cluster, or of the cluster its state says it belongs to.
   *
   * @param applier applies committed metadata commands to this node's definitions; it may be called
   *     from now on, with the whole log when the node rejoins
   * @throws IOException the cluster port cannot be opened, or no seed would add this node
   */
  public static ClusterNode start(
      ClusterSettings settings,
      Path dataDir,
      MetadataStateMachine.Applier applier,
      QuorumQueues quorumQueues)
      throws IOException {
    Path storage = dataDir.resolve(DIRECTORY);
    Files.createDirectories(storage);
    boolean member = Files.isDirectory(storage.resolve(METADATA.getUuid().toString()));
    int port = settings.port() == 0 ? freePort(settings.host()) : settings.port();
    RaftPeer self =
        RaftPeer.newBuilder()
            .setId(settings.node())
            .setAddress(new InetSocketAddress(settings.advertisedHost(), port))
            .build();

    RaftProperties properties = new RaftProperties();
    RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
    GrpcConfigKeys.Server.setHost(properties, settings.host());
    GrpcConfigKeys.Server.setPort(properties, port);
    RaftServerConfigKeys.setStorageDir(properties, List.of(storage.toFile()));
    // Quorum queues' groups snapshot what their queue holds every few thousand entries (batches),
    // and their logs are purged up to it; the metadata group takes none yet (its log is its
    // state), so it keeps its log.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, snapshotEvery());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, 2);
    RaftServerConfigKeys.Log.setPurgeGap(properties, (int) Math.min(1 << 20, snapshotEvery()));
    // Forwarded batches carry whole messages: room for the largest AMQP body and its headers.
    GrpcConfigKeys.setMessageSizeMax(properties, SizeInBytes.valueOf("256MB"));

    MetadataStateMachine metadata = new MetadataStateMachine(applier);
    RaftServer.Builder builder =
        RaftServer.newBuilder()
            .setServerId(self.getId())
            .setStateMachineRegistry(
                group -> group.equals(METADATA) ? metadata : quorumQueues.stateMachine(group))
            .setProperties(properties);
    if (!member) {
      // A new cluster of one, or (joining) the group with no members yet, which the leader's
      // membership change fills in.
      builder.setGroup(
          settings.seeds().isEmpty()
              ? RaftGroup.valueOf(METADATA, self)
              : RaftGroup.valueOf(METADATA));
    }
    RaftServer server = builder.build();
    ClusterNode node = new ClusterNode(settings, self, properties, server, metadata);
    quorumQueues.attach(node);
    server.start();
    node.watch.scheduleWithFixedDelay(node::refreshRunning, 1, 1, TimeUnit.SECONDS);
    try {
      if (!member && !settings.seeds().isEmpty()) {
        node.join(settings.seeds());
      }
      LOG.log(
          Level.INFO,
          "node {0} {1} on cluster port {2,number,#}; members {3}",
          new Object[] {
            settings.node(),
            member
                ? "rejoins its cluster"
                : settings.seeds().isEmpty() ? "starts a cluster" : "joined",
            port,
            node.currentPeers().stream().map(p -> p.getId().toString()).toList()
          });
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    }
  }

  /** Asks the seeds, in turn, to add this node to their cluster. */
  private void join(List<ClusterSettings.Address> seeds) throws IOException {
    IOException last = null;
    for (ClusterSettings.Address seed : seeds) {
      // The seed's name is not known yet: any id reaches it, and it tells the real members.
      RaftPeer contact =
          RaftPeer.newBuilder()
              .setId("seed-" + seed)
              .setAddress(new InetSocketAddress(seed.host(), seed.port()))
              .build();
      try (RaftClient asking = newClient(List.of(contact))) {
        GroupInfoReply info = asking.getGroupManagementApi(contact.getId()).info(METADATA);
        Collection<RaftPeer> peers = info.getGroup().getPeers();
        try (RaftClient members = newClient(peers)) {
          RaftClientReply reply =
              members
                  .admin()
                  .setConfiguration(
                      SetConfigurationRequest.Arguments.newBuilder()
                          .setServersInNewConf(List.of(self))
                          .setMode(SetConfigurationRequest.Mode.ADD)
                          .build());
          if (!reply.isSuccess()) {
            throw new IOException(
                "the cluster refused to add " + self.getId(), reply.getException());
          }
          return;
        }
      } catch (IOException e) {
        LOG.log(Level.WARNING, "could not join through seed {0}: {1}", new Object[] {seed, e});
        last = e;
      }
    }
    throw new IOException("no seed of " + seeds + " added node " + self.getId(), last);
  }

  private RaftClient newClient(Collection<RaftPeer> peers) {
    int attempts =
        (int) Math.max(1, settings.timeoutMillis() / RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS));
    return RaftClient.newBuilder()
        .setRaftGroup(RaftGroup.valueOf(METADATA, peers))
        .setProperties(properties)
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts, RETRY_SLEEP))
        .build();
  }

  /** A client that knows the current members (the cluster's membership may have changed). */
  private synchronized RaftClient client() throws IOException {
    Collection<RaftPeer> peers = currentPeers();
    if (!java.util.Set.copyOf(peers).equals(clientPeers)) {
      if (client != null) {
        client.close();
      }
      client = newClient(peers);
      clientPeers = java.util.Set.copyOf(peers);
    }
    return client;
  }

  /** The Raft server, which runs the metadata group and every quorum queue's group. */
  RaftServer server() {
    return server;
  }

  Collection<RaftPeer> currentPeers() throws IOException {
    return server.getDivision(METADATA).getRaftConf().getCurrentPeers();
  }

  public ClusterSettings settings() {
    return settings;
  }

  /** How long a change or a question waits for the cluster. */
  public long timeoutMillis() {
    return settings.timeoutMillis();
  }

  /**
   * Whether {@code node} answered the leader lately, as this node last heard (once a second); true
   * until it first heard.
   */
  public boolean isRunning(String node) {
    java.util.Set<String> r = running;
    return r == null || r.contains(node);
  }

  /** Calls {@code watcher} with the running nodes once a second, on the watch thread. */
  public void watchRunning(java.util.function.Consumer<java.util.Set<String>> watcher) {
    watchers.add(watcher);
  }

  private void refreshRunning() {
    java.util.Set<String> now;
    try {
      now = java.util.Set.copyOf(status().running());
    } catch (IOException | RuntimeException e) {
      now = java.util.Set.of(settings.node()); // no leader to ask: nobody else is known to run
    }
    running = now;
    for (var w : watchers) {
      try {
        w.accept(now);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "cluster watcher failed", e);
      }
    }
  }

  /** This node's name. */
  public String name() {
    return settings.node();
  }

  /** The cluster port this node listens on. */
  public int port() {
    return ((InetSocketAddress) server.getServerRpc().getInetSocketAddress()).getPort();
  }

  /** The address other nodes reach this one at ({@code HOST:PORT}), to give to a joining node. */
  public ClusterSettings.Address address() {
    return ClusterSettings.Address.parse(self.getAddress());
  }

  /**
   * Submits a metadata command: waits for a majority to have it and for this node to have applied
   * it, and returns the applier's answer (the same on every node).
   *
   * @throws TimeoutException no majority took it within the cluster's timeout
   */
  public byte[] submit(byte[] command) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMillis());
    RaftClientReply reply;
    try {
      reply =
          client()
              .async()
              .send(Message.valueOf(ByteString.copyFrom(command)))
              .get(settings.timeoutMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | IOException e) {
      throw timeout(e instanceof ExecutionException ? e.getCause() : e);
    }
    if (!reply.isSuccess()) {
      throw timeout(reply.getException());
    }
    long left = deadline - System.nanoTime();
    if (!metadata.awaitApplied(reply.getLogIndex(), Math.max(left, 0), TimeUnit.NANOSECONDS)) {
      throw new TimeoutException("this node did not apply the change in time");
    }
    return reply.getMessage().getContent().toByteArray();
  }

  /**
   * Sends {@code request} to node {@code node} directly, outside the log, and returns its answer:
   * how nodes hand each other messages.
   */
  public CompletableFuture<byte[]> ask(String node, byte[] request) {
    // Not through the client's asynchronous API: it completes its requests in the order they
    // were sent, so one question still waiting (a change that waits for the log, a node that
    // stopped) would hold up every later one, to every node.
    return CompletableFuture.supplyAsync(
            () -> {
              RaftClientReply reply;
              try {
                reply =
                    client()
                        .io()
                        .sendStaleRead(
                            Message.valueOf(UnsafeByteOperations.unsafeWrap(request)),
                            0,
                            RaftPeerId.valueOf(node));
              } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
              }
              if (!reply.isSuccess()) {
                throw new java.util.concurrent.CompletionException(reply.getException());
              }
              return reply.getMessage().getContent().toByteArray();
            },
            asking)
        .orTimeout(settings.timeoutMillis(), TimeUnit.MILLISECONDS);
  }

  /** Answers what other nodes {@link #ask} this one. */
  public void answer(
      java.util.function.Function<java.nio.ByteBuffer, CompletableFuture<byte[]>> handler) {
    metadata.answerRequests(handler);
  }

  private static TimeoutException timeout(Throwable cause) {
    TimeoutException t = new TimeoutException(String.valueOf(cause));
    t.initCause(cause);
    return t;
  }

  /**
   * Waits until this node has applied every change the cluster had committed when it was called:
   * what a node that just started or rejoined does before it serves clients.
   *
   * @throws TimeoutException no leader answered, or this node did not catch up, in time
   */
  public void catchUp() throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMillis());
    while (true) {
      try {
        RaftServer.Division division = server.getDivision(METADATA);
        RaftPeerId leader = division.getInfo().getLeaderId();
        if (leader != null) {
          long committed;
          if (leader.equals(self.getId())) {
            committed = division.getRaftLog().getLastCommittedIndex();
          } else {
            committed = -1;
            GroupInfoReply info = client().getGroupManagementApi(leader).info(METADATA);
            for (var c : info.getCommitInfos()) {
              if (c.getServer().getId().toStringUtf8().equals(leader.toString())) {
                committed = c.getCommitIndex();
              }
            }
          }
          if (committed >= 0) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (metadata.awaitApplied(committed, left, TimeUnit.NANOSECONDS)) {
              return;
            }
          }
        }
      } catch (IOException e) {
        // No leader yet, or it is out of reach: try again until the deadline.
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("no majority of the cluster answered in time");
      }
      Thread.sleep(RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS));
    }
  }

  /** What {@code rabbitmqctl cluster_status} shows. */
  public record Status(String node, List<String> members, List<String> running, String leader) {}

  /** The cluster as this node sees it: members, which of them answer the leader, the leader. */
  public Status status() throws IOException {
    List<String> members = currentPeers().stream().map(p -> p.getId().toString()).sorted().toList();
    RaftServer.Division division = server.getDivision(METADATA);
    RaftPeerId leaderId = division.getInfo().getLeaderId();
    List<String> running = new ArrayList<>();
    if (leaderId != null) {
      RoleInfoProto role;
      if (division.getInfo().isLeader()) {
        role = division.getInfo().getRoleInfoProto();
      } else {
        role = client().getGroupManagementApi(leaderId).info(METADATA).getRoleInfoProto();
      }
      running.add(leaderId.toString());
      for (ServerRpcProto follower : role.getLeaderInfo().getFollowerInfoList()) {
        if (follower.getLastRpcElapsedTimeMs() < RUNNING_WITHIN_MILLIS) {
          running.add(name(follower.getId()));
        }
      }
    } else {
      running.add(settings.node());
    }
    running.sort(null);
    return new Status(
        settings.node(),
        members,
        List.copyOf(running),
        leaderId == null ? null : leaderId.toString());
  }

  private static String name(RaftPeerProto peer) {
    return peer.getId().toStringUtf8();
  }

  /**
   * Removes a node that is not running from the cluster ({@code rabbitmqctl forget_cluster_node}).
   *
   * @throws IllegalArgumentException the node is not a member, is this node, or is running
   */
  public void forget(String node) throws IOException {
    if (node.equals(settings.node())) {
      throw new IllegalArgumentException("a node cannot forget itself: " + node);
    }
    Status status = status();
    if (!status.members().contains(node)) {
      throw new IllegalArgumentException("node " + node + " is not a member of the cluster");
    }
    if (status.running().contains(node)) {
      throw new IllegalArgumentException("node " + node + " is running; stop it first");
    }
    List<RaftPeer> remaining =
        currentPeers().stream().filter(p -> !p.getId().toString().equals(node)).toList();
    RaftClientReply reply = client().admin().setConfiguration(remaining);
    if (!reply.isSuccess()) {
      throw new IOException("could not forget " + node, reply.getException());
    }
  }

  @Override
  public void close() {
    watch.shutdownNow();
    asking.shutdownNow();
    try {
      synchronized (this) {
        if (client != null) {
          client.close();
        }
      }
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
