package io.warrenmq.broker.cluster;

import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.vhost.ReplicatedQueues;
import io.warrenmq.broker.vhost.TopologyChange;
import io.warrenmq.broker.vhost.TopologyLog;
import io.warrenmq.broker.vhost.VirtualHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;

/**
 * Quorum queues in a cluster: each is a Raft group of its own (Ratis runs many groups on one server
 * and port), on the nodes its declaration named — {@code x-quorum-initial-group-size} of them, 3 by
 * default, fewer in a smaller cluster —, replicating the queue's state ({@link
 * QuorumStateMachine}). The group's leader holds the queue as a local queue over a {@link
 * QuorumStorage}: it takes the publishes (forwarded from every other node), delivers, and writes
 * every change to the group; a publisher's confirm waits until a majority has the message. When the
 * leader goes, the group elects another member, which rebuilds the queue from its state, tells the
 * cluster through the metadata log ({@link TopologyChange.MoveQueue}), and carries on: consumers of
 * other nodes follow it, and what was out with consumers is delivered again.
 *
 * <p>A group's id is derived from the queue's virtual host, name and incarnation, so every node
 * finds the same group for the same queue, also in its storage after a restart.
 */
public final class QuorumQueues implements ReplicatedQueues, QuorumStateMachine.Events {

  private static final Logger LOG = Logger.getLogger(QuorumQueues.class.getName());

  private final String self;
  private final MemoryAccount memory;
  private final TopologyLog topology;
  private volatile ClusterNode cluster;

  /** Elections and group changes, handled one after another off Ratis's threads. */
  private final ExecutorService events =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "warren-quorum");
            t.setDaemon(true);
            return t;
          });

  /** Announcements of this node's leads, which may wait for the metadata group. */
  private final ExecutorService announcer =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "warren-quorum-announce");
            t.setDaemon(true);
            return t;
          });

  /** This node's part in each quorum queue's group. */
  private final Map<RaftGroupId, Part> parts = new ConcurrentHashMap<>();

  /** Groups to create once this node has caught up with the metadata log. */
  private final Set<Part> toCreate = new LinkedHashSet<>();

  private boolean caughtUp;

  /** This node's part in one group: its state machine, and the queue once the log declared it. */
  private static final class Part {
    final RaftGroupId id;
    volatile QuorumStateMachine machine;
    volatile VirtualHost vhost;
    volatile String queue;
    volatile long incarnation;
    volatile List<String> members = List.of();
    volatile boolean leading;
    volatile boolean hosted;
    volatile long term;
    volatile boolean deleted;

    Part(RaftGroupId id) {
      this.id = id;
    }
  }

  public QuorumQueues(String self, MemoryAccount memory, TopologyLog topology) {
    this.self = self;
    this.memory = memory;
    this.topology = topology;
  }

  /** The node whose server runs the groups; set before its log is applied. */
  void attach(ClusterNode cluster) {
    this.cluster = cluster;
  }

  /** The group id of a queue's incarnation: the same on every node. */
  static RaftGroupId groupId(String vhost, String queue, long incarnation) {
    String key = "warrenmq quorum queue\0" + vhost + "\0" + queue + "\0" + incarnation;
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** The state machine of group {@code id}: for the server, as it starts or adds the group. */
  QuorumStateMachine stateMachine(RaftGroupId id) {
    Part part = parts.computeIfAbsent(id, Part::new);
    synchronized (part) {
      if (part.machine == null) {
        part.machine = new QuorumStateMachine(id, this);
      }
      return part.machine;
    }
  }

  @Override
  public List<String> members(String home, int size) {
    List<String> members = new ArrayList<>();
    members.add(home);
    try {
      ClusterNode.Status status = cluster.status();
      // Running nodes first, then the others, each in name order: the same choice anywhere.
      for (List<String> from : List.of(status.running(), status.members())) {
        for (String n : from) {
          if (members.size() < size && !members.contains(n)) {
            members.add(n);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, "no cluster status for a new quorum queue''s members", e);
    }
    return members;
  }

  @Override
  public void declared(VirtualHost vhost, String queue, long incarnation, List<String> members) {
    RaftGroupId id = groupId(vhost.name(), queue, incarnation);
    Part part = parts.computeIfAbsent(id, Part::new);
    part.vhost = vhost;
    part.queue = queue;
    part.incarnation = incarnation;
    part.members = members;
    if (!members.contains(self)) {
      return;
    }
    synchronized (this) {
      if (!caughtUp) {
        // Replaying the log at start: the group exists already if this node had it, and a queue
        // of the replayed past may be deleted a few entries on.
        toCreate.add(part);
      } else {
        execute(events, () -> create(part));
      }
    }
    if (part.leading) {
      execute(events, () -> host(part));
    }
  }

  /** This node has caught up with the metadata log (or given up waiting): groups are made now. */
  public void caughtUp() {
    List<Part> parts;
    synchronized (this) {
      caughtUp = true;
      parts = List.copyOf(toCreate);
      toCreate.clear();
    }
    for (Part p : parts) {
      execute(events, () -> create(p));
    }
  }

  /** Adds this node's part in a queue's group, unless it has it already. On the event thread. */
  private void create(Part part) {
    if (part.deleted) {
      return;
    }
    RaftServer server = cluster.server();
    try {
      server.getDivision(part.id);
      return; // recovered from storage at start
    } catch (IOException absent) {
      // made now
    }
    List<RaftPeer> peers = new ArrayList<>();
    try {
      for (RaftPeer p : cluster.currentPeers()) {
        if (part.members.contains(p.getId().toString())) {
          peers.add(p);
        }
      }
      RaftClientReply reply =
          server.groupManagement(
              GroupManagementRequest.newAdd(
                  ClientId.randomId(), server.getId(), 0, RaftGroup.valueOf(part.id, peers)));
      if (!reply.isSuccess()) {
        throw new IOException(reply.getException());
      }
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "could not start this node''s replica of quorum queue ''{0}'': {1}",
          new Object[] {part.queue, e.toString()});
    }
  }

  @Override
  public void deleted(VirtualHost vhost, String queue, long incarnation) {
    RaftGroupId id = groupId(vhost.name(), queue, incarnation);
    Part part = parts.get(id);
    if (part == null) {
      return;
    }
    part.deleted = true;
    synchronized (this) {
      toCreate.remove(part);
    }
    execute(
        events,
        () -> {
          parts.remove(id);
          RaftServer server = cluster.server();
          try {
            server.getDivision(id);
          } catch (IOException absent) {
            return;
          }
          try {
            server.groupManagement(
                GroupManagementRequest.newRemove(
                    ClientId.randomId(), server.getId(), 0, id, true, false));
          } catch (IOException e) {
            LOG.log(
                Level.WARNING,
                "could not remove this node''s replica of quorum queue ''{0}'': {1}",
                new Object[] {queue, e.toString()});
          }
        });
  }

  @Override
  public void leading(QuorumStateMachine machine) {
    Part part = parts.computeIfAbsent(machine.id(), Part::new);
    part.leading = true;
    execute(events, () -> host(part));
  }

  @Override
  public void notLeading(QuorumStateMachine machine) {
    Part part = parts.get(machine.id());
    if (part == null || !part.leading) {
      return;
    }
    part.leading = false;
    execute(
        events,
        () -> {
          VirtualHost vhost = part.vhost;
          if (vhost != null && !part.leading && part.hosted) {
            part.hosted = false;
            vhost.leaderLost(part.queue, part.incarnation);
          }
        });
  }

  /**
   * This node leads a queue's group: it holds the queue from now on, rebuilt from the group's
   * state, and tells the cluster. On the event thread.
   */
  private void host(Part part) {
    VirtualHost vhost = part.vhost;
    if (!part.leading || part.hosted || vhost == null || part.deleted) {
      return; // the log has not declared it here yet: declared() comes back
    }
    RaftServer.Division division;
    try {
      division = cluster.server().getDivision(part.id);
    } catch (IOException e) {
      return;
    }
    long term = division.getInfo().getCurrentTerm();
    if (!division.getInfo().isLeader()) {
      return;
    }
    List<Long> returned = new ArrayList<>();
    List<QueueEntry> entries = part.machine.entries(memory, returned);
    QuorumStorage storage =
        new QuorumStorage(
            cluster.server(),
            part.id,
            cluster.timeoutMillis(),
            entries,
            returned,
            part.machine.nextSequence());
    Queue q = vhost.hostLeader(part.queue, part.incarnation, term, storage);
    if (q == null) {
      storage.close();
      return;
    }
    part.hosted = true;
    LOG.log(
        Level.INFO,
        "quorum queue ''{0}'' in vhost ''{1}'' is led by this node from term {2,number,#}",
        new Object[] {part.queue, vhost.name(), term});
    part.term = term;
    announce(part, vhost, term);
  }

  /**
   * Tells the cluster, through the metadata log, that this node leads the queue from {@code term}:
   * tried again until it is in the log or this node leads no more (the metadata group may be
   * electing a leader of its own, if the same node's loss made this election).
   */
  private void announce(Part part, VirtualHost vhost, long term) {
    TopologyChange move = new TopologyChange.MoveQueue(part.queue, part.incarnation, self, term);
    execute(
        announcer,
        () -> {
          while (part.hosted && part.term == term && !announcer.isShutdown()) {
            try {
              topology.submit(vhost, move);
              return;
            } catch (AmqpException e) {
              LOG.log(
                  Level.FINE,
                  "could not {0} yet: {1}",
                  new Object[] {move.describe(vhost.name()), e});
            }
            try {
              Thread.sleep(200);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
  }

  /** Runs {@code task} on {@code executor}, unless the node is stopping. */
  private static void execute(ExecutorService executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the node is stopping: its groups are closing too
    }
  }

  public void close() {
    announcer.shutdownNow();
    events.shutdownNow();
  }
}
