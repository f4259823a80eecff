package io.warrenmq.broker.vhost;

import io.warrenmq.broker.exchange.Binding;
import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.exchange.DirectExchange;
import io.warrenmq.broker.exchange.Exchange;
import io.warrenmq.broker.exchange.FanoutExchange;
import io.warrenmq.broker.exchange.HeadersExchange;
import io.warrenmq.broker.exchange.Routes;
import io.warrenmq.broker.exchange.TopicExchange;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.Equivalence;
import io.warrenmq.broker.protocol.ReplyCode;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueDeclaration;
import io.warrenmq.broker.queue.QueueEntry;
import io.warrenmq.broker.queue.QueueSettings;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.queue.QueueType;
import io.warrenmq.broker.store.DefinitionStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A virtual host: its exchanges, queues and bindings, and routing.
 *
 * <p><b>Threads.</b> Declarations, deletions and binding changes take the topology lock (rare and
 * cheap). Publishing takes no lock: exchange and queue lookups read concurrent maps and each
 * exchange's index is safe to read while it changes. A lock is never taken while a queue's lock is
 * held; the order is topology, then queue.
 */
public final class VirtualHost implements Queue.Lifecycle {

  /** The pseudo-queue of direct reply-to (RabbitMQ's {@code amq.rabbitmq.reply-to}). */
  public static final String REPLY_TO = "amq.rabbitmq.reply-to";

  private static final List<String> EXCHANGE_ARGS = List.of("alternate-exchange");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final java.util.concurrent.ScheduledExecutorService timers;
  private final long queueBacklogBytes;
  private final DefinitionStore store;
  private final TopologyLog log;
  private volatile RemoteDelivery remote;
  private volatile ReplicatedQueues replicas;
  private final Object topology = new Object();
  private final Map<String, Exchange> exchanges = new ConcurrentHashMap<>();
  private final Map<String, Queue> queues = new ConcurrentHashMap<>();
  private final Map<String, RemoteQueue> remoteQueues = new ConcurrentHashMap<>();

  /** The term of its group in which this node was elected leader, for each queue it leads. */
  private final Map<String, Long> ledTerms = new ConcurrentHashMap<>();

  private final Map<Destination, Set<Binding>> bindingsTo = new IdentityHashMap<>();

  /**
   * @param timers the broker's timer thread, for queue expiry (head messages, {@code x-expires})
   */
  public VirtualHost(
      String name,
      long queueBacklogBytes,
      DefinitionStore store,
      java.util.concurrent.ScheduledExecutorService timers) {
    this(name, queueBacklogBytes, store, timers, TopologyLog.LOCAL);
  }

  /**
   * @param log how changes to the definitions take effect: at once, or through a cluster's log
   */
  public VirtualHost(
      String name,
      long queueBacklogBytes,
      DefinitionStore store,
      java.util.concurrent.ScheduledExecutorService timers,
      TopologyLog log) {
    this.log = log;
    this.timers = timers;
    this.name = name;
    this.queueBacklogBytes = queueBacklogBytes;
    this.store = store;
    for (String[] predeclared :
        new String[][] {
          {"amq.direct", DirectExchange.TYPE},
          {"amq.fanout", FanoutExchange.TYPE},
          {"amq.topic", TopicExchange.TYPE},
          {"amq.headers", HeadersExchange.TYPE},
          {"amq.match", HeadersExchange.TYPE},
          // RabbitMQ's firehose and log exchanges: durable, internal topics clients may bind to.
          {"amq.rabbitmq.trace", TopicExchange.TYPE, "internal"},
          {"amq.rabbitmq.log", TopicExchange.TYPE, "internal"}
        }) {
      boolean internal = predeclared.length > 2;
      exchanges.put(
          predeclared[0],
          newExchange(predeclared[0], predeclared[1], true, false, internal, Map.of()));
    }
  }

  public String name() {
    return name;
  }

  /** Whether this virtual host's definitions are a cluster's (changes wait for a majority). */
  public boolean replicated() {
    return log.replicated();
  }

  // ---------------------------------------------------------------- exchanges

  /** Whether {@code type} names an exchange type this broker has. */
  public static boolean knownExchangeType(String type) {
    return switch (type) {
      case DirectExchange.TYPE, FanoutExchange.TYPE, TopicExchange.TYPE, HeadersExchange.TYPE ->
          true;
      default -> false;
    };
  }

  private static Exchange newExchange(
      String name,
      String type,
      boolean durable,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> args) {
    return switch (type) {
      case DirectExchange.TYPE -> new DirectExchange(name, durable, autoDelete, internal, args);
      case FanoutExchange.TYPE -> new FanoutExchange(name, durable, autoDelete, internal, args);
      case TopicExchange.TYPE -> new TopicExchange(name, durable, autoDelete, internal, args);
      case HeadersExchange.TYPE -> new HeadersExchange(name, durable, autoDelete, internal, args);
      default -> throw new IllegalArgumentException(type);
    };
  }

  /** Looks up an exchange; the default exchange is {@code ""}. */
  public Exchange exchange(String exchangeName) throws AmqpException {
    if (exchangeName.isEmpty()) {
      return null;
    }
    Exchange x = exchanges.get(exchangeName);
    if (x == null) {
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("exchange", exchangeName));
    }
    return x;
  }

  /** exchange.declare with passive set: the exchange must exist. */
  public void checkExchangeExists(String exchangeName) throws AmqpException {
    checkNotDefault(exchangeName);
    exchange(exchangeName);
  }

  /** exchange.declare: creates the exchange, or checks that the existing one is equivalent. */
  public Exchange declareExchange(
      String exchangeName,
      String type,
      boolean durable,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> args)
      throws AmqpException {
    if (!knownExchangeType(type)) {
      throw AmqpException.of(ReplyCode.COMMAND_INVALID, "invalid exchange type '%s'", type);
    }
    checkNotDefault(exchangeName);
    Exchange x = exchanges.get(exchangeName);
    if (x == null || !log.replicated()) {
      log.submit(
          this,
          new TopologyChange.DeclareExchange(
              exchangeName, type, durable, autoDelete, internal, args));
      x = exchanges.get(exchangeName);
    } else {
      // An existing exchange is compared here, as every node holds it: nothing to replicate.
      checkEquivalent(x, type, durable, autoDelete, internal, args);
    }
    return x;
  }

  /**
   * @return whether the exchange was created
   */
  boolean applyDeclareExchange(
      String exchangeName,
      String type,
      boolean durable,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> args)
      throws AmqpException {
    synchronized (topology) {
      Exchange x = exchanges.get(exchangeName);
      if (x == null) {
        checkName("exchange", exchangeName);
        x = newExchange(exchangeName, type, durable, autoDelete, internal, args);
        if (durable) {
          store.exchangeDeclared(name, x);
        }
        exchanges.put(exchangeName, x);
        return true;
      }
      checkEquivalent(x, type, durable, autoDelete, internal, args);
      return false;
    }
  }

  private void checkEquivalent(
      Exchange x,
      String type,
      boolean durable,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> args)
      throws AmqpException {
    String resource = resource("exchange", x.name());
    Equivalence.field("type", resource, x.type(), type);
    Equivalence.field("durable", resource, x.durable(), durable);
    Equivalence.field("auto_delete", resource, x.autoDelete(), autoDelete);
    Equivalence.field("internal", resource, x.internal(), internal);
    Equivalence.arguments(resource, x.arguments(), args, EXCHANGE_ARGS);
  }

  /** exchange.delete. A missing exchange is not an error, as in RabbitMQ 3.x. */
  public void deleteExchange(String exchangeName, boolean ifUnused) throws AmqpException {
    checkNotDefault(exchangeName);
    if (exchangeName.startsWith("amq.")) {
      throw AmqpException.of(
          ReplyCode.ACCESS_REFUSED,
          "deletion of system %s not allowed",
          resource("exchange", exchangeName));
    }
    log.submit(this, new TopologyChange.DeleteExchange(exchangeName, ifUnused));
  }

  void applyDeleteExchange(String exchangeName, boolean ifUnused) throws AmqpException {
    synchronized (topology) {
      Exchange x = exchanges.get(exchangeName);
      if (x == null) {
        return;
      }
      if (ifUnused && x.hasBindings()) {
        throw AmqpException.of(
            ReplyCode.PRECONDITION_FAILED, "%s in use", resource("exchange", exchangeName));
      }
      removeExchange(x);
    }
  }

  private void removeExchange(Exchange x) {
    exchanges.remove(x.name(), x);
    if (x.durable()) {
      store.exchangeDeleted(name, x.name());
    }
    for (Binding b : List.copyOf(x.bindings())) {
      removeBinding(b);
    }
    Set<Binding> incoming = bindingsTo.remove(x);
    if (incoming != null) {
      for (Binding b : List.copyOf(incoming)) {
        removeBinding(b);
      }
    }
  }

  // ---------------------------------------------------------------- queues

  /** Looks up a queue of this node's. */
  public Queue queue(String queueName) throws AmqpException {
    Queue q = queues.get(queueName);
    if (q == null) {
      RemoteQueue r = remoteQueues.get(queueName);
      if (r != null) {
        throw elsewhere(r);
      }
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("queue", queueName));
    }
    return q;
  }

  /**
   * The queue a consumer of {@code owner}'s takes from: the queue itself when it lives on this
   * node, else a local queue that the queue's node fills for this consumer ({@link
   * RemoteDelivery}).
   */
  public Queue consumable(
      String queueName,
      QueueOwner owner,
      int prefetch,
      boolean exclusive,
      Map<String, Object> arguments)
      throws AmqpException {
    Queue q = queues.get(queueName);
    RemoteQueue r = q == null ? remoteQueues.get(queueName) : null;
    RemoteDelivery via = remote;
    if (r == null || via == null) {
      return queue(queueName, owner);
    }
    checkExclusiveAccess(queueName, r.ownerId(), owner);
    return via.subscribe(r.home(), this, queueName, prefetch, exclusive, arguments);
  }

  /**
   * What basic.get took: the entry, the queue to settle it with (for a queue of another node, a
   * local stand-in that sends the settlement there), and how many messages are left.
   */
  public record Got(Queue queue, QueueEntry entry, int messageCount) {}

  /**
   * basic.get's core: takes the next message of {@code queueName}, here or on the node that holds
   * it; null when the queue has none.
   */
  public Got get(String queueName, QueueOwner owner, boolean noAck) throws AmqpException {
    Queue q = queues.get(queueName);
    RemoteQueue r = q == null ? remoteQueues.get(queueName) : null;
    RemoteDelivery via = remote;
    if (r == null || via == null) {
      q = queue(queueName, owner);
      QueueEntry entry = q.get(noAck);
      return entry == null ? null : new Got(q, entry, q.messageCount());
    }
    checkExclusiveAccess(queueName, r.ownerId(), owner);
    return ask(r, v -> v.fetch(r.home(), this, queueName, noAck));
  }

  /**
   * Where a replicated queue is led from, as this node last heard: that node's name (this node's
   * when it leads it); null for a queue that is not replicated, or not known.
   */
  public String leaderOf(String queueName) {
    Queue q = queues.get(queueName);
    if (q != null) {
      return ledTerms.containsKey(queueName) ? log.node() : null;
    }
    RemoteQueue r = remoteQueues.get(queueName);
    return r != null && r.replicated() ? r.home() : null;
  }

  /** Looks up a queue that {@code owner} may use: an exclusive queue only by its owner. */
  public Queue queue(String queueName, QueueOwner owner) throws AmqpException {
    Queue q = queue(queueName);
    checkExclusiveAccess(q.name(), q.exclusiveOwner(), owner);
    return q;
  }

  private void checkExclusiveAccess(String queueName, String ownerId, QueueOwner owner)
      throws AmqpException {
    if (ownerId != null && (owner == null || !ownerId.equals(owner.ownerId()))) {
      throw locked(queueName);
    }
  }

  private AmqpException locked(String queueName) {
    return AmqpException.of(
        ReplyCode.RESOURCE_LOCKED,
        "cannot obtain exclusive access to locked %s. It could be originally declared on another"
            + " connection or the exclusive property value does not match that of the original"
            + " declaration.",
        resource("queue", queueName));
  }

  /** A queue of another node's, used here: not possible yet (issue 13 goes on). */
  private AmqpException elsewhere(RemoteQueue r) {
    return AmqpException.of(
        ReplyCode.NOT_IMPLEMENTED,
        "%s is on node %s: using a queue from another node of the cluster is not supported yet",
        resource("queue", r.name()),
        r.home());
  }

  /** A name for a server-named queue: {@code amq.gen-} and 22 random URL-safe characters. */
  public static String generateQueueName() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return "amq.gen-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * queue.declare: creates the queue, or checks that the existing one is equivalent and usable. In
   * a cluster the queue lives on this node (RabbitMQ's {@code client-local} leader locator).
   *
   * @param owner the declaring connection; exclusive queues belong to it
   * @return the queue and whether it was created now
   */
  public Declared declareQueue(
      String queueName,
      boolean durable,
      boolean exclusive,
      boolean autoDelete,
      Map<String, Object> args,
      QueueOwner owner)
      throws AmqpException {
    String actual;
    if (queueName.isEmpty()) {
      QueueDeclaration.checkServerNamed(args);
      actual = generateQueueName();
    } else {
      actual = checkName("queue", queueName);
    }
    String ownerId = exclusive ? owner.ownerId() : null;
    if (log.replicated()) {
      // An existing queue is compared here, as every node holds its definition; a new one is
      // checked before it goes to the cluster's log.
      synchronized (topology) {
        Queue q = queues.get(actual);
        if (q != null) {
          checkRedeclare(
              actual,
              q.exclusiveOwner(),
              q.durable(),
              q.autoDelete(),
              q.arguments(),
              q.settings().type(),
              durable,
              autoDelete,
              args,
              ownerId);
          q.used();
          return Declared.of(q, false);
        }
        RemoteQueue r = remoteQueues.get(actual);
        if (r != null) {
          checkRedeclare(
              actual,
              r.ownerId(),
              r.durable(),
              r.autoDelete(),
              r.arguments(),
              r.settings().type(),
              durable,
              autoDelete,
              args,
              ownerId);
        }
        if (r != null) {
          return remoteCounts(r);
        }
      }
      QueueDeclaration.checkNew(resource("queue", actual), durable, exclusive, autoDelete, args);
    }
    // Exclusive queues stay with their connection's node; others go where the locator says.
    String home = exclusive || !log.replicated() ? log.node() : log.place(locator(args));
    ReplicatedQueues group = replicas;
    List<String> members =
        group != null && QueueDeclaration.quorum(args)
            ? group.members(home, QueueDeclaration.initialGroupSize(args))
            : List.of();
    boolean created =
        1
            == log.submit(
                this,
                new TopologyChange.DeclareQueue(
                    actual, durable, autoDelete, args, ownerId, home, members));
    if (!members.isEmpty()) {
      awaitLeader(actual);
    }
    Queue q = queues.get(actual);
    if (q == null) {
      RemoteQueue r = remoteQueues.get(actual);
      if (r != null) {
        // Replicated and led elsewhere (its leader has it: it told the cluster so), declared on
        // another node at the same moment, or placed on another node, which answers for it.
        return created && !members.isEmpty()
            ? new Declared(null, actual, true, 0, 0)
            : remoteCounts(r);
      }
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("queue", actual));
    }
    return Declared.of(q, created);
  }

  /**
   * Waits, up to the cluster's timeout, until a new replicated queue's group has a leader this node
   * knows of, so that what the declaring client publishes next finds it.
   */
  private void awaitLeader(String queueName) throws AmqpException {
    long deadline = System.nanoTime() + log.timeoutMillis() * 1_000_000L;
    synchronized (topology) {
      while (true) {
        RemoteQueue r = remoteQueues.get(queueName);
        if (r == null || r.term() > 0) {
          return; // led here, led elsewhere, or deleted meanwhile
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw AmqpException.of(
              ReplyCode.INTERNAL_ERROR,
              "failed to declare %s because the operation timed out",
              resource("queue", queueName));
        }
        try {
          java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(topology, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw AmqpException.of(
              ReplyCode.INTERNAL_ERROR, "interrupted declaring %s", resource("queue", queueName));
        }
      }
    }
  }

  /** Applies a queue declaration; the queue is created here when this node is its home. */
  boolean applyDeclareQueue(TopologyChange.DeclareQueue d, long incarnation) throws AmqpException {
    String resource = resource("queue", d.name());
    synchronized (topology) {
      Queue q = queues.get(d.name());
      if (q != null) {
        if (q.incarnation() > incarnation) {
          return false; // a declaration the log replays, superseded by the queue's own
        }
        // RabbitMQ compares a redeclaration with the queue before it validates anything.
        checkRedeclare(
            d.name(),
            q.exclusiveOwner(),
            q.durable(),
            q.autoDelete(),
            q.arguments(),
            q.settings().type(),
            d.durable(),
            d.autoDelete(),
            d.arguments(),
            d.ownerId());
        q.used();
        return false;
      }
      RemoteQueue r = remoteQueues.get(d.name());
      if (r != null) {
        if (r.incarnation() > incarnation) {
          return false;
        }
        checkRedeclare(
            d.name(),
            r.ownerId(),
            r.durable(),
            r.autoDelete(),
            r.arguments(),
            r.settings().type(),
            d.durable(),
            d.autoDelete(),
            d.arguments(),
            d.ownerId());
        return false;
      }
      boolean exclusive = d.ownerId() != null;
      QueueSettings settings =
          QueueDeclaration.checkNew(
              resource, d.durable(), exclusive, d.autoDelete(), d.arguments());
      boolean replicated = !d.members().isEmpty();
      if (replicated || (d.home() != null && !d.home().equals(log.node()))) {
        // A replicated queue is led, even here, by whichever member its group elects: until one
        // is heard of (term 0) it is where its declaration placed it.
        remoteQueues.put(
            d.name(),
            new RemoteQueue(
                d.name(),
                d.durable(),
                d.autoDelete(),
                d.ownerId(),
                d.arguments(),
                settings,
                d.home(),
                incarnation,
                0));
        ReplicatedQueues group = replicas;
        if (replicated && group != null) {
          group.declared(this, d.name(), incarnation, d.members());
        }
        return true;
      }
      // Exclusive queues end with their connection, so they are never recovered (RabbitMQ).
      boolean persisted = d.durable() && !exclusive;
      QueueStorage storage =
          store.queueDeclared(
              name, d.name(), persisted, d.autoDelete(), d.arguments(), incarnation);
      q =
          new Queue(
              d.name(),
              name,
              d.durable(),
              d.autoDelete(),
              d.ownerId(),
              d.arguments(),
              settings,
              storage,
              queueBacklogBytes,
              this);
      q.incarnation(incarnation);
      queues.put(d.name(), q);
      return true;
    }
  }

  private void checkRedeclare(
      String queueName,
      String currentOwner,
      boolean currentDurable,
      boolean currentAutoDelete,
      Map<String, Object> currentArgs,
      io.warrenmq.broker.queue.QueueType currentType,
      boolean durable,
      boolean autoDelete,
      Map<String, Object> args,
      String ownerId)
      throws AmqpException {
    if (!java.util.Objects.equals(currentOwner, ownerId)) {
      throw locked(queueName);
    }
    QueueDeclaration.checkEquivalent(
        resource("queue", queueName),
        currentDurable,
        currentAutoDelete,
        currentArgs,
        currentType,
        durable,
        autoDelete,
        args);
  }

  /**
   * The leader locator a declaration asks for: {@code x-queue-leader-locator}, or a classic queue's
   * {@code x-queue-master-locator} (RabbitMQ 3.10's {@code min-masters} is {@code balanced}); null
   * for the node's setting.
   */
  private static String locator(Map<String, Object> args) {
    if (args == null) {
      return null;
    }
    String l = io.warrenmq.broker.protocol.FieldTable.string(args, "x-queue-leader-locator");
    if (l == null) {
      l = io.warrenmq.broker.protocol.FieldTable.string(args, "x-queue-master-locator");
    }
    if (l == null) {
      return null;
    }
    return switch (l) {
      case "client-local", "random" -> l;
      case "balanced", "min-masters", "least-leaders" -> "balanced";
      default -> null;
    };
  }

  /**
   * How many queues each node holds, of this virtual host's (this node's under {@code self}): what
   * the {@code balanced} locator weighs.
   */
  public Map<String, Integer> queuesByNode(String self) {
    Map<String, Integer> counts = new java.util.HashMap<>();
    counts.put(self, queues.size());
    for (RemoteQueue r : remoteQueues.values()) {
      counts.merge(r.home(), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * A queue.declare's outcome.
   *
   * @param queue the queue, when it lives on this node (else null)
   */
  public record Declared(
      Queue queue, String name, boolean created, int messageCount, int consumerCount) {

    static Declared of(Queue q, boolean created) {
      return new Declared(q, q.name(), created, q.messageCount(), q.consumerCount());
    }
  }

  /**
   * queue.declare with passive set: the queue exists (here, or on another node, which is asked for
   * its counts) and {@code owner} may use it; its {@code x-expires} lease starts again.
   */
  public Declared declarePassive(String queueName, QueueOwner owner) throws AmqpException {
    Queue q = queues.get(queueName);
    if (q != null) {
      checkExclusiveAccess(queueName, q.exclusiveOwner(), owner);
      q.used();
      return Declared.of(q, false);
    }
    RemoteQueue r = remoteQueues.get(queueName);
    if (r == null) {
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("queue", queueName));
    }
    checkExclusiveAccess(queueName, r.ownerId(), owner);
    return remoteCounts(r);
  }

  /** queue.purge. */
  public int purge(String queueName, QueueOwner owner) throws AmqpException {
    Queue q = queues.get(queueName);
    RemoteQueue r = q == null ? remoteQueues.get(queueName) : null;
    if (r == null) {
      return queue(queueName, owner).purge();
    }
    checkExclusiveAccess(queueName, r.ownerId(), owner);
    return ask(r, via -> via.purge(r.home(), name, queueName));
  }

  /**
   * queue.delete of a queue of this node's, asked by another node (which checked the owner): its
   * conditions are checked here, where its consumers and messages are.
   */
  public int deleteHere(String queueName, boolean ifUnused, boolean ifEmpty) throws AmqpException {
    Queue q = queues.get(queueName);
    return q == null ? 0 : deleteQueue(queueName, ifUnused, ifEmpty, q::exclusiveOwner);
  }

  /** What a queue's node answers about it, within the cluster's timeout. */
  private <T> T ask(
      RemoteQueue r, java.util.function.Function<RemoteDelivery, CompletableFuture<T>> question)
      throws AmqpException {
    RemoteDelivery via = remote;
    if (via == null) {
      throw elsewhere(r);
    }
    try {
      return question
          .apply(via)
          .get(log.timeoutMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof AmqpException refused) {
        throw refused;
      }
      throw notAnswered(r);
    } catch (java.util.concurrent.TimeoutException e) {
      throw notAnswered(r);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw notAnswered(r);
    }
  }

  private AmqpException notAnswered(RemoteQueue r) {
    return AmqpException.of(
        ReplyCode.INTERNAL_ERROR,
        "%s is on node %s, which did not answer",
        resource("queue", r.name()),
        r.home());
  }

  /** Asks a queue's node for its counts (and renews its lease there). */
  private Declared remoteCounts(RemoteQueue r) throws AmqpException {
    RemoteDelivery via = remote;
    int[] counts = null;
    try {
      counts =
          via == null
              ? null
              : via.counts(r.home(), name, r.name())
                  .get(log.timeoutMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      counts = null;
    }
    if (counts == null) {
      throw AmqpException.of(
          ReplyCode.INTERNAL_ERROR,
          "failed to declare %s because node %s did not answer",
          resource("queue", r.name()),
          r.home());
    }
    if (counts.length == 0) {
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("queue", r.name()));
    }
    return new Declared(null, r.name(), false, counts[0], counts[1]);
  }

  /** This node's answer to another's {@link #remoteCounts}: {messages, consumers}, or none. */
  public int[] localCounts(String queueName) {
    Queue q = queues.get(queueName);
    if (q == null) {
      return new int[0];
    }
    q.used();
    return new int[] {q.messageCount(), q.consumerCount()};
  }

  /**
   * queue.delete. A missing queue is not an error, as in RabbitMQ 3.x.
   *
   * @return the number of ready messages deleted with it
   */
  public int deleteQueue(String queueName, boolean ifUnused, boolean ifEmpty, QueueOwner owner)
      throws AmqpException {
    Queue q = queues.get(queueName);
    if (q == null) {
      RemoteQueue r = remoteQueues.get(queueName);
      if (r == null) {
        return 0;
      }
      checkExclusiveAccess(queueName, r.ownerId(), owner);
      // Only its node knows its consumers and messages.
      return ask(r, via -> via.delete(r.home(), name, queueName, ifUnused, ifEmpty));
    }
    checkExclusiveAccess(queueName, q.exclusiveOwner(), owner);
    if (ifUnused && q.consumerCount() > 0) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "%s in use", resource("queue", queueName));
    }
    if (ifEmpty && q.messageCount() > 0) {
      throw AmqpException.of(
          ReplyCode.PRECONDITION_FAILED, "%s not empty", resource("queue", queueName));
    }
    // In a cluster the leader answers, which may not hold the queue: the count is read here.
    int ready = q.messageCount();
    long deleted = log.submit(this, new TopologyChange.DeleteQueue(queueName, q.incarnation()));
    return log.replicated() ? ready : (int) deleted;
  }

  /**
   * Applies a queue deletion: of the queue the deletion was made for, and not of one declared under
   * the same name after it (the log may replay an old deletion over a newer queue).
   *
   * @return the number of ready messages deleted with it here
   */
  int applyDeleteQueue(String queueName, long incarnation) {
    Queue q;
    synchronized (topology) {
      q = queues.get(queueName);
      if (q == null) {
        RemoteQueue r = remoteQueues.get(queueName);
        if (r != null && r.incarnation() == incarnation) {
          remoteQueues.remove(queueName);
          unlinkDestination(r);
          forgetReplicas(r.replicated(), queueName, incarnation);
        }
        return 0;
      }
      if (q.incarnation() != incarnation) {
        return 0;
      }
      unlinkQueue(q);
    }
    forgetReplicas(q.settings().type() == QueueType.QUORUM, queueName, incarnation);
    return q.delete();
  }

  private void forgetReplicas(boolean replicated, String queueName, long incarnation) {
    ReplicatedQueues group = replicas;
    if (replicated && group != null) {
      group.deleted(this, queueName, incarnation);
    }
  }

  // ---------------------------------------------------------------- replicated queues

  /** Where quorum queues are replicated; set, before the log is applied, on a cluster's node. */
  public void replicateWith(ReplicatedQueues replicas) {
    this.replicas = replicas;
  }

  /**
   * This node was elected leader of a replicated queue's group in {@code term}: it holds the queue
   * from now on, over {@code storage} (what the group had, which it goes on replicating to).
   *
   * @return the queue, or null when this node does not know the queue (yet, or any more)
   */
  public Queue hostLeader(String queueName, long incarnation, long term, QueueStorage storage) {
    Queue q;
    synchronized (topology) {
      RemoteQueue r = remoteQueues.get(queueName);
      if (r == null || r.incarnation() != incarnation) {
        return null;
      }
      q =
          new Queue(
              queueName,
              name,
              r.durable(),
              r.autoDelete(),
              r.ownerId(),
              r.arguments(),
              r.settings(),
              storage,
              queueBacklogBytes,
              this);
      q.incarnation(incarnation);
      remoteQueues.remove(queueName);
      queues.put(queueName, q);
      ledTerms.put(queueName, term);
      moveDestination(r, q);
      topology.notifyAll();
    }
    RemoteDelivery via = remote;
    if (via != null) {
      via.moved(this, queueName, log.node());
    }
    return q;
  }

  /**
   * This node no longer leads a replicated queue's group: the queue is elsewhere (where, the next
   * {@link #applyMoveQueue} says); its consumers here are cancelled, and what was out with them
   * comes back from the next leader, redelivered.
   */
  public void leaderLost(String queueName, long incarnation) {
    stepDown(queueName, incarnation, log.node(), ledTerms.getOrDefault(queueName, 0L));
  }

  private void stepDown(String queueName, long incarnation, String node, long term) {
    Queue q;
    synchronized (topology) {
      q = queues.get(queueName);
      if (q == null || q.incarnation() != incarnation) {
        return;
      }
      RemoteQueue r =
          new RemoteQueue(
              queueName,
              q.durable(),
              q.autoDelete(),
              q.exclusiveOwner(),
              q.arguments(),
              q.settings(),
              node,
              incarnation,
              term);
      queues.remove(queueName, q);
      ledTerms.remove(queueName);
      remoteQueues.put(queueName, r);
      moveDestination(q, r);
      topology.notifyAll();
    }
    q.delete(); // cancels its consumers; the group keeps the messages
    RemoteDelivery via = remote;
    if (via != null) {
      via.moved(this, queueName, node);
    }
  }

  /** Applies the news that {@code node} leads a replicated queue from {@code term}. */
  void applyMoveQueue(String queueName, long incarnation, String node, long term) {
    boolean moved = false;
    synchronized (topology) {
      Queue q = queues.get(queueName);
      if (q != null && q.incarnation() == incarnation) {
        long led = ledTerms.getOrDefault(queueName, 0L);
        if (term <= led || node.equals(log.node())) {
          ledTerms.put(queueName, Math.max(led, term));
          return;
        }
      } else {
        RemoteQueue r = remoteQueues.get(queueName);
        if (r == null || r.incarnation() != incarnation || term <= r.term()) {
          return;
        }
        RemoteQueue now = r.ledBy(node, term);
        remoteQueues.put(queueName, now);
        moveDestination(r, now);
        topology.notifyAll();
        moved = true;
      }
    }
    if (!moved) {
      // This node led it in an older term and has not heard it lost the lead: it has.
      stepDown(queueName, incarnation, node, term);
      return;
    }
    RemoteDelivery via = remote;
    if (via != null) {
      via.moved(this, queueName, node);
    }
  }

  /** The bindings to {@code from} lead to {@code to} instead: the same queue, somewhere else. */
  private void moveDestination(Destination from, Destination to) {
    Set<Binding> incoming = bindingsTo.remove(from);
    if (incoming == null) {
      return;
    }
    for (Binding b : incoming) {
      Binding moved = new Binding(b.source(), to, b.routingKey(), b.arguments());
      b.source().unbind(b);
      try {
        b.source().bind(moved);
      } catch (AmqpException e) {
        throw new IllegalStateException("binding refused when moved: " + e.text(), e);
      }
      bindingsTo.computeIfAbsent(to, x -> new LinkedHashSet<>()).add(moved);
    }
  }

  /** Deletes a queue unconditionally: its owner left, or it lost its last consumer. */
  public void deleteQueue(Queue q) {
    if (queues.get(q.name()) != q) {
      return;
    }
    log.submitLater(this, new TopologyChange.DeleteQueue(q.name(), q.incarnation()));
  }

  @Override
  public void schedule(Runnable task, long delayMillis) {
    try {
      timers.schedule(task, Math.max(0, delayMillis), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // The broker is closing: its queues are closing too.
    }
  }

  @Override
  public void lastConsumerGone(Queue queue) {
    deleteQueue(queue);
  }

  /** {@code x-expires}: the queue went unused for its lease and is deleted, as RabbitMQ does. */
  @Override
  public void unused(Queue queue) {
    deleteQueue(queue);
  }

  /**
   * Publishes what {@code queue} dead-letters to its dead-letter exchange. A missing exchange drops
   * them, as in RabbitMQ; so does a cycle no consumer broke. Any thread; no lock is held.
   */
  @Override
  public void deadLettered(Queue queue, List<Queue.DeadLetter> letters) {
    String exchange = queue.settings().deadLetterExchange();
    Routes routes = new Routes();
    for (Queue.DeadLetter l : letters) {
      Message letter = null;
      try {
        if (exchange == null || (!exchange.isEmpty() && !exchanges.containsKey(exchange))) {
          continue;
        }
        letter = DeadLetters.letter(queue, l.message(), l.reason(), exchange);
        routes.clear();
        if (exchange.isEmpty()) {
          routeDefault(letter, routes);
        } else {
          // Internal exchanges take dead letters too: only clients may not publish to them.
          routeThrough(exchanges.get(exchange), letter, routes, null);
        }
        // A cycle is broken unless a client rejected the message (RabbitMQ).
        Message sent = letter;
        boolean rejected = l.reason().equals(Queue.DeadLetter.REJECTED);
        enqueue(
            letter,
            routes.destinations(),
            Publisher.NONE,
            rejected ? null : target -> DeadLetters.cycle(sent, target));
      } finally {
        l.message().release();
        if (letter != null) {
          letter.release();
        }
      }
    }
  }

  private void unlinkQueue(Queue q) {
    queues.remove(q.name(), q);
    store.queueDeleted(name, q.name(), q.durable() && !q.exclusive());
    unlinkDestination(q);
  }

  private void unlinkDestination(Destination d) {
    Set<Binding> incoming = bindingsTo.remove(d);
    if (incoming != null) {
      for (Binding b : List.copyOf(incoming)) {
        removeBinding(b);
      }
    }
  }

  /**
   * After this node restarted and caught up with its cluster: its non-durable and exclusive queues,
   * which the log brought back, go, as RabbitMQ deletes them when their node restarts.
   */
  public void dropTransientQueues() {
    for (Queue q : queues.values()) {
      if ((!q.durable() || q.exclusive()) && q.incarnation() > 0) {
        log.submitLater(this, new TopologyChange.DeleteQueue(q.name(), q.incarnation()));
      }
    }
  }

  /** Registers a direct reply-to pseudo-queue under its generated name. */
  public void registerReplyQueue(Queue q) {
    queues.put(q.name(), q);
  }

  public void unregisterReplyQueue(Queue q) {
    queues.remove(q.name(), q);
  }

  // ---------------------------------------------------------------- bindings

  /** queue.bind. */
  public void bindQueue(
      String queueName, String exchangeName, String key, Map<String, Object> args, QueueOwner owner)
      throws AmqpException {
    queueDestination(queueName, owner);
    bindableExchange(exchangeName);
    log.submit(this, new TopologyChange.BindQueue(queueName, exchangeName, key, args));
  }

  /** A queue of this node's or another's, that {@code owner} may use. */
  private Destination queueDestination(String queueName, QueueOwner owner) throws AmqpException {
    Queue q = queues.get(queueName);
    if (q != null) {
      checkExclusiveAccess(queueName, q.exclusiveOwner(), owner);
      return q;
    }
    RemoteQueue r = remoteQueues.get(queueName);
    if (r != null) {
      checkExclusiveAccess(queueName, r.ownerId(), owner);
      return r;
    }
    throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("queue", queueName));
  }

  void applyBindQueue(String queueName, String exchangeName, String key, Map<String, Object> args)
      throws AmqpException {
    synchronized (topology) {
      Destination q = queueDestination(queueName, null, true);
      Exchange x = bindableExchange(exchangeName);
      addBinding(new Binding(x, q, key, args));
    }
  }

  private Destination queueDestination(String queueName, QueueOwner owner, boolean anyOwner)
      throws AmqpException {
    if (!anyOwner) {
      return queueDestination(queueName, owner);
    }
    Destination d = queues.get(queueName);
    if (d == null) {
      d = remoteQueues.get(queueName);
    }
    if (d == null) {
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("queue", queueName));
    }
    return d;
  }

  /**
   * queue.unbind; a binding that does not exist, even from a missing queue or exchange, is not an
   * error (RabbitMQ 3.x).
   */
  public void unbindQueue(
      String queueName, String exchangeName, String key, Map<String, Object> args, QueueOwner owner)
      throws AmqpException {
    checkNotDefault(exchangeName);
    if (queues.containsKey(queueName) || remoteQueues.containsKey(queueName)) {
      queueDestination(queueName, owner);
    }
    log.submit(this, new TopologyChange.UnbindQueue(queueName, exchangeName, key, args));
  }

  void applyUnbindQueue(
      String queueName, String exchangeName, String key, Map<String, Object> args) {
    synchronized (topology) {
      Destination q = queues.get(queueName);
      if (q == null) {
        q = remoteQueues.get(queueName);
      }
      Exchange x = exchanges.get(exchangeName);
      if (q == null || x == null) {
        return;
      }
      removeBinding(new Binding(x, q, key, args));
    }
  }

  /** exchange.bind: messages routed by {@code source} also go through {@code destination}. */
  public void bindExchange(String destination, String source, String key, Map<String, Object> args)
      throws AmqpException {
    log.submit(this, new TopologyChange.BindExchange(destination, source, key, args));
  }

  void applyBindExchange(String destination, String source, String key, Map<String, Object> args)
      throws AmqpException {
    synchronized (topology) {
      Exchange d = bindableExchange(destination);
      Exchange s = bindableExchange(source);
      addBinding(new Binding(s, d, key, args));
    }
  }

  /** exchange.unbind; like queue.unbind, a missing binding is not an error. */
  public void unbindExchange(
      String destination, String source, String key, Map<String, Object> args)
      throws AmqpException {
    checkNotDefault(destination);
    checkNotDefault(source);
    log.submit(this, new TopologyChange.UnbindExchange(destination, source, key, args));
  }

  void applyUnbindExchange(String destination, String source, String key, Map<String, Object> args)
      throws AmqpException {
    synchronized (topology) {
      Exchange d = exchanges.get(destination);
      Exchange s = exchanges.get(source);
      if (d != null && s != null) {
        removeBinding(new Binding(s, d, key, args));
      }
    }
  }

  private Exchange bindableExchange(String exchangeName) throws AmqpException {
    checkNotDefault(exchangeName);
    return exchange(exchangeName);
  }

  private void addBinding(Binding b) throws AmqpException {
    if (b.source().bind(b)) {
      bindingsTo.computeIfAbsent(b.destination(), d -> new LinkedHashSet<>()).add(b);
      if (durable(b)) {
        store.bindingAdded(name, b);
      }
    }
  }

  /** A binding survives a restart when both its ends do (RabbitMQ). */
  private static boolean durable(Binding b) {
    return b.source().durable()
        && (b.destination() instanceof Queue q
            ? q.durable() && !q.exclusive()
            : b.destination() instanceof Exchange x && x.durable());
  }

  /** Removes a binding; an auto-delete exchange that loses its last binding goes too. */
  private void removeBinding(Binding b) {
    Exchange source = b.source();
    if (!source.unbind(b)) {
      return;
    }
    if (durable(b)) {
      store.bindingRemoved(name, b);
    }
    Set<Binding> incoming = bindingsTo.get(b.destination());
    if (incoming != null) {
      incoming.remove(b);
      if (incoming.isEmpty()) {
        bindingsTo.remove(b.destination());
      }
    }
    if (source.autoDelete() && !source.hasBindings() && exchanges.get(source.name()) == source) {
      removeExchange(source);
    }
  }

  // ---------------------------------------------------------------- recovery

  /** Brings back a durable exchange at start, without recording it again. */
  public void restoreExchange(
      String exchangeName,
      String type,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> args) {
    synchronized (topology) {
      exchanges.put(
          exchangeName, newExchange(exchangeName, type, true, autoDelete, internal, args));
    }
  }

  /** Brings back a durable queue at start, over the storage that kept its messages. */
  public Queue restoreQueue(
      String queueName,
      boolean autoDelete,
      Map<String, Object> args,
      QueueStorage storage,
      long incarnation) {
    synchronized (topology) {
      Queue q =
          new Queue(
              queueName, name, true, autoDelete, null, args, storage, queueBacklogBytes, this);
      q.incarnation(incarnation);
      queues.put(queueName, q);
      return q;
    }
  }

  /**
   * Brings back a durable binding at start. Bindings whose ends did not come back are skipped.
   *
   * @param toQueue whether the destination is a queue (else an exchange)
   */
  public void restoreBinding(
      String source, String destination, boolean toQueue, String key, Map<String, Object> args) {
    synchronized (topology) {
      Exchange s = exchanges.get(source);
      Destination d = toQueue ? queues.get(destination) : exchanges.get(destination);
      if (s == null || d == null) {
        return;
      }
      Binding b = new Binding(s, d, key, args);
      try {
        if (s.bind(b)) {
          bindingsTo.computeIfAbsent(d, x -> new LinkedHashSet<>()).add(b);
        }
      } catch (AmqpException e) {
        throw new IllegalStateException("stored binding refused: " + e.text(), e);
      }
    }
  }

  // ---------------------------------------------------------------- routing

  /**
   * Routes a message to queues: through the exchange, exchange-to-exchange bindings and, when
   * nothing matched, the alternate exchange. Each queue appears once; cycles end.
   *
   * @throws AmqpException 404 when the exchange does not exist, 403 when it is internal
   */
  public void route(Message message, Routes queuesOut) throws AmqpException {
    Exchange x = checkPublishable(message.exchange());
    if (x == null) {
      routeDefault(message, queuesOut);
    } else {
      routeThrough(x, message, queuesOut, null);
    }
  }

  /**
   * Whether clients may publish to {@code exchangeName}: it exists and is not internal.
   *
   * @return the exchange, or null for the default exchange
   * @throws AmqpException 404 when the exchange does not exist, 403 when it is internal
   */
  public Exchange checkPublishable(String exchangeName) throws AmqpException {
    if (exchangeName.isEmpty()) {
      return null;
    }
    Exchange x = exchanges.get(exchangeName);
    if (x == null) {
      throw AmqpException.of(ReplyCode.NOT_FOUND, "no %s", resource("exchange", exchangeName));
    }
    if (x.internal()) {
      throw AmqpException.of(
          ReplyCode.ACCESS_REFUSED,
          "cannot publish to internal %s",
          resource("exchange", exchangeName));
    }
    return x;
  }

  /**
   * What one publish did: how many queues took the message, whether a full one refused it, and,
   * when it went to queues of other nodes, what they will say (else null).
   */
  public record Published(
      int queues, boolean rejected, CompletableFuture<RemoteDelivery.Outcome> forwarded) {

    static final Published NONE = new Published(0, false, null);
  }

  /** Where messages for queues of other nodes go; set when this node is in a cluster. */
  public void forwardTo(RemoteDelivery remote) {
    this.remote = remote;
  }

  /**
   * basic.publish's core: routes {@code message} and enqueues it on every queue it reaches.
   *
   * @param routes scratch space, cleared first
   * @throws AmqpException 404 when the exchange does not exist, 403 when it is internal
   */
  public Published publish(Message message, Routes routes, Publisher publisher)
      throws AmqpException {
    routes.clear();
    route(message, routes);
    return enqueue(message, routes.destinations(), publisher, null);
  }

  /**
   * Enqueues a message on queues it was routed to earlier (a transaction's publish, at commit): a
   * queue deleted since is looked up again by name, as RabbitMQ delivers to queue names, and
   * skipped if there is none.
   */
  public Published deliver(Message message, List<Destination> routed, Publisher publisher) {
    List<Destination> targets = new ArrayList<>(routed.size());
    for (Destination d : routed) {
      if (d instanceof Queue q && !q.deleted()) {
        targets.add(q);
        continue;
      }
      // Deleted since, or on another node (which a replicated queue may have moved from or to):
      // where the name is now.
      String queueName = d instanceof Queue q ? q.name() : ((RemoteQueue) d).name();
      Destination current = queueNamed(queueName);
      if (current != null) {
        targets.add(current);
      }
    }
    return enqueue(message, targets, publisher, null);
  }

  private Published enqueue(
      Message message,
      List<Destination> targets,
      Publisher publisher,
      java.util.function.Predicate<Queue> skip) {
    CompletableFuture<RemoteDelivery.Outcome> forwarded = null;
    for (int i = 0; i < targets.size(); i++) {
      if (targets.get(i) instanceof RemoteQueue) {
        forwarded = forward(message, targets);
        targets = targets.stream().filter(d -> d instanceof Queue).toList();
        break;
      }
    }
    if (targets.isEmpty()) {
      return forwarded == null ? Published.NONE : new Published(1, false, forwarded);
    }
    publisher.routed(message, targets.size());
    // Only a publisher that can pause waits for a backlog to drain.
    Publisher waiter = publisher == Publisher.NONE ? null : publisher;
    boolean rejected = false;
    for (int i = 0; i < targets.size(); i++) {
      Queue q = (Queue) targets.get(i);
      if (skip != null && skip.test(q)) {
        continue;
      }
      Queue.Enqueued result = q.enqueue(message, waiter);
      if (result.backlogged()) {
        publisher.backlogged(q);
      } else if (result == Queue.Enqueued.REJECTED) {
        rejected = true;
      }
      CompletableFuture<Boolean> replicated = q.replicated();
      if (replicated != null && result != Queue.Enqueued.REJECTED) {
        // A replicated queue has the message once a majority of its group does.
        CompletableFuture<RemoteDelivery.Outcome> held =
            replicated.thenApply(
                ok -> ok ? RemoteDelivery.Outcome.TAKEN : RemoteDelivery.Outcome.FAILED);
        forwarded = forwarded == null ? held : forwarded.thenCombine(held, VirtualHost::worse);
      }
    }
    return new Published(targets.size(), rejected, forwarded);
  }

  /** Forwards a message to its queues on other nodes: one forward per node, all in one outcome. */
  private CompletableFuture<RemoteDelivery.Outcome> forward(
      Message message, List<Destination> targets) {
    Map<String, List<String>> byNode = new java.util.LinkedHashMap<>();
    for (Destination d : targets) {
      if (d instanceof RemoteQueue r) {
        byNode.computeIfAbsent(r.home(), n -> new ArrayList<>(2)).add(r.name());
      }
    }
    RemoteDelivery via = remote;
    if (via == null) {
      return CompletableFuture.completedFuture(RemoteDelivery.Outcome.FAILED);
    }
    CompletableFuture<RemoteDelivery.Outcome> all = null;
    for (Map.Entry<String, List<String>> e : byNode.entrySet()) {
      CompletableFuture<RemoteDelivery.Outcome> one =
          via.forward(e.getKey(), name, e.getValue(), message);
      all = all == null ? one : all.thenCombine(one, VirtualHost::worse);
    }
    return all;
  }

  private static RemoteDelivery.Outcome worse(RemoteDelivery.Outcome a, RemoteDelivery.Outcome b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /**
   * Takes a message another node forwarded to queues of this one (those that exist still; a queue
   * deleted meanwhile drops it, as a publish to it would have).
   */
  public Published acceptForwarded(Message message, List<String> queueNames) {
    List<Destination> targets = new ArrayList<>(queueNames.size());
    boolean led = true;
    for (String n : queueNames) {
      Queue q = queues.get(n);
      if (q != null) {
        targets.add(q);
      } else if (remoteQueues.containsKey(n)) {
        led = false; // a replicated queue this node no longer leads (or does not yet)
      }
    }
    Published p = enqueue(message, targets, Publisher.NONE, null);
    if (led) {
      return p;
    }
    CompletableFuture<RemoteDelivery.Outcome> failed =
        CompletableFuture.completedFuture(RemoteDelivery.Outcome.FAILED);
    return new Published(p.queues(), p.rejected(), failed);
  }

  /** The default exchange: the queues named by the routing keys, if there are such queues. */
  private void routeDefault(Message message, Routes out) {
    Destination q = queueNamed(message.routingKey());
    if (q != null) {
      out.add(q);
    }
    List<String> more = message.senderSelectedKeys();
    for (int i = 0; more != null && i < more.size(); i++) {
      q = queueNamed(more.get(i));
      if (q != null) {
        out.add(q);
      }
    }
  }

  /** The queue the default exchange routes {@code key} to, here or on another node, or null. */
  private Destination queueNamed(String key) {
    Queue q = queues.get(key);
    return q != null || remoteQueues.isEmpty() ? q : remoteQueues.get(key);
  }

  private void routeThrough(Exchange x, Message message, Routes out, Set<Exchange> visited) {
    Routes direct = new Routes();
    x.route(message, direct);
    List<String> more = message.senderSelectedKeys(); // CC and BCC: the same exchange, more keys
    for (int i = 0; more != null && i < more.size(); i++) {
      x.route(message, more.get(i), direct);
    }
    boolean routed = false;
    for (Destination d : direct.destinations()) {
      if (d instanceof Exchange next) {
        if (visited == null) {
          visited = Collections.newSetFromMap(new IdentityHashMap<>());
          visited.add(x);
        }
        if (visited.add(next)) {
          int before = out.destinations().size();
          routeThrough(next, message, out, visited);
          routed |= out.destinations().size() > before;
        }
      } else {
        out.add(d);
        routed = true;
      }
    }
    if (!routed) {
      String ae = x.alternateExchange();
      Exchange alternate = ae == null ? null : exchanges.get(ae);
      if (alternate != null) {
        if (visited == null) {
          visited = Collections.newSetFromMap(new IdentityHashMap<>());
          visited.add(x);
        }
        if (visited.add(alternate)) {
          routeThrough(alternate, message, out, visited);
        }
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** All queues, for listing and shutdown. */
  public List<Queue> queues() {
    return new ArrayList<>(queues.values());
  }

  /** RabbitMQ's way of naming a resource in errors: {@code queue 'q' in vhost '/'}. */
  public String resource(String kind, String resourceName) {
    return resource(name, kind, resourceName);
  }

  static String resource(String vhost, String kind, String resourceName) {
    return kind + " '" + resourceName + "' in vhost '" + vhost + "'";
  }

  private static void checkNotDefault(String exchangeName) throws AmqpException {
    if (exchangeName.isEmpty()) {
      throw AmqpException.of(
          ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange");
    }
  }

  private static String checkName(String kind, String resourceName) throws AmqpException {
    if (resourceName.startsWith("amq.")) {
      throw AmqpException.of(
          ReplyCode.ACCESS_REFUSED,
          "%s name '%s' contains reserved prefix 'amq.*'",
          kind,
          resourceName);
    }
    return resourceName;
  }
}
