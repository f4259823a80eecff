package io.warrenmq.broker.vhost;

import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.FieldTable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A change to a virtual host's definitions, as data: applied at once on a broker of its own, or
 * through the cluster's log on every node alike (so it must carry everything its effect depends on,
 * and its effect must depend only on it and the definitions it meets).
 */
public sealed interface TopologyChange {

  /** What the change does, for error texts: {@code declare exchange 'x' in vhost '/'}. */
  String describe(String vhost);

  /**
   * Applies the change to {@code vhost}'s definitions.
   *
   * @param index the change's place in the cluster's log (0 on a broker of its own): a queue's
   *     declaration names the queue's incarnation by it
   * @return what the change answers: 1 for a declaration that created, else 0; a queue deletion's
   *     count of deleted messages
   */
  long applyTo(VirtualHost vhost, long index) throws AmqpException;

  /** The change as a field table (without the vhost, which the caller adds). */
  Map<String, Object> encode();

  /** The change a field table of {@link #encode()} holds. */
  static TopologyChange decode(Map<String, Object> t) {
    String op = FieldTable.string(t, "op");
    return switch (op) {
      case DeclareExchange.OP ->
          new DeclareExchange(
              s(t, "name"),
              s(t, "type"),
              b(t, "durable"),
              b(t, "autoDelete"),
              b(t, "internal"),
              table(t, "arguments"));
      case DeleteExchange.OP -> new DeleteExchange(s(t, "name"), b(t, "ifUnused"));
      case BindExchange.OP ->
          new BindExchange(s(t, "destination"), s(t, "source"), s(t, "key"), table(t, "arguments"));
      case UnbindExchange.OP ->
          new UnbindExchange(
              s(t, "destination"), s(t, "source"), s(t, "key"), table(t, "arguments"));
      case DeclareQueue.OP ->
          new DeclareQueue(
              s(t, "name"),
              b(t, "durable"),
              b(t, "autoDelete"),
              table(t, "arguments"),
              s(t, "owner"),
              s(t, "home"),
              list(t, "members"));
      case DeleteQueue.OP ->
          new DeleteQueue(s(t, "name"), ((Number) t.get("incarnation")).longValue());
      case MoveQueue.OP ->
          new MoveQueue(
              s(t, "name"),
              ((Number) t.get("incarnation")).longValue(),
              s(t, "node"),
              ((Number) t.get("term")).longValue());
      case BindQueue.OP ->
          new BindQueue(s(t, "queue"), s(t, "exchange"), s(t, "key"), table(t, "arguments"));
      case UnbindQueue.OP ->
          new UnbindQueue(s(t, "queue"), s(t, "exchange"), s(t, "key"), table(t, "arguments"));
      default -> throw new IllegalArgumentException("unknown topology change '" + op + "'");
    };
  }

  /** exchange.declare, not passive. */
  record DeclareExchange(
      String name,
      String type,
      boolean durable,
      boolean autoDelete,
      boolean internal,
      Map<String, Object> arguments)
      implements TopologyChange {
    static final String OP = "exchange.declare";

    @Override
    public String describe(String vhost) {
      return "declare " + VirtualHost.resource(vhost, "exchange", name);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) throws AmqpException {
      return vhost.applyDeclareExchange(name, type, durable, autoDelete, internal, arguments)
          ? 1
          : 0;
    }

    @Override
    public Map<String, Object> encode() {
      Map<String, Object> t = new HashMap<>();
      t.put("op", OP);
      t.put("name", name);
      t.put("type", type);
      t.put("durable", durable);
      t.put("autoDelete", autoDelete);
      t.put("internal", internal);
      t.put("arguments", arguments);
      return t;
    }
  }

  /** exchange.delete. */
  record DeleteExchange(String name, boolean ifUnused) implements TopologyChange {
    static final String OP = "exchange.delete";

    @Override
    public String describe(String vhost) {
      return "delete " + VirtualHost.resource(vhost, "exchange", name);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) throws AmqpException {
      vhost.applyDeleteExchange(name, ifUnused);
      return 0;
    }

    @Override
    public Map<String, Object> encode() {
      return Map.of("op", OP, "name", name, "ifUnused", ifUnused);
    }
  }

  /** exchange.bind. */
  record BindExchange(String destination, String source, String key, Map<String, Object> arguments)
      implements TopologyChange {
    static final String OP = "exchange.bind";

    @Override
    public String describe(String vhost) {
      return "bind " + VirtualHost.resource(vhost, "exchange", source);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) throws AmqpException {
      vhost.applyBindExchange(destination, source, key, arguments);
      return 0;
    }

    @Override
    public Map<String, Object> encode() {
      return Map.of(
          "op",
          OP,
          "destination",
          destination,
          "source",
          source,
          "key",
          key,
          "arguments",
          arguments);
    }
  }

  /** exchange.unbind. */
  record UnbindExchange(
      String destination, String source, String key, Map<String, Object> arguments)
      implements TopologyChange {
    static final String OP = "exchange.unbind";

    @Override
    public String describe(String vhost) {
      return "unbind " + VirtualHost.resource(vhost, "exchange", source);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) throws AmqpException {
      vhost.applyUnbindExchange(destination, source, key, arguments);
      return 0;
    }

    @Override
    public Map<String, Object> encode() {
      return Map.of(
          "op",
          OP,
          "destination",
          destination,
          "source",
          source,
          "key",
          key,
          "arguments",
          arguments);
    }
  }

  /**
   * queue.declare, not passive.
   *
   * @param ownerId the owning connection of an exclusive queue, or null
   * @param home the node that will hold its messages, or null on a broker of its own
   * @param members the nodes a replicated (quorum) queue lives on, {@code home} first; empty for a
   *     queue of one node
   */
  record DeclareQueue(
      String name,
      boolean durable,
      boolean autoDelete,
      Map<String, Object> arguments,
      String ownerId,
      String home,
      List<String> members)
      implements TopologyChange {
    static final String OP = "queue.declare";

    public DeclareQueue {
      members = members == null ? List.of() : List.copyOf(members);
    }

    @Override
    public String describe(String vhost) {
      return "declare " + VirtualHost.resource(vhost, "queue", name);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) throws AmqpException {
      return vhost.applyDeclareQueue(this, index) ? 1 : 0;
    }

    @Override
    public Map<String, Object> encode() {
      Map<String, Object> t = new HashMap<>();
      t.put("op", OP);
      t.put("name", name);
      t.put("durable", durable);
      t.put("autoDelete", autoDelete);
      t.put("arguments", arguments);
      if (ownerId != null) {
        t.put("owner", ownerId);
      }
      if (home != null) {
        t.put("home", home);
      }
      if (!members.isEmpty()) {
        t.put("members", String.join(",", members));
      }
      return t;
    }
  }

  /**
   * queue.delete, of one incarnation of the queue (the log index of its declaration), once its
   * conditions were checked where the queue lives.
   */
  record DeleteQueue(String name, long incarnation) implements TopologyChange {
    static final String OP = "queue.delete";

    @Override
    public String describe(String vhost) {
      return "delete " + VirtualHost.resource(vhost, "queue", name);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) {
      return vhost.applyDeleteQueue(name, incarnation);
    }

    @Override
    public Map<String, Object> encode() {
      return Map.of("op", OP, "name", name, "incarnation", incarnation);
    }
  }

  /**
   * A replicated queue has a new leader, {@code node}, elected in {@code term} of the queue's own
   * Raft group: the node that holds its messages for every other node. A move of an older term than
   * the last one applied changes nothing (the log may carry an old leader's late claim).
   */
  record MoveQueue(String name, long incarnation, String node, long term)
      implements TopologyChange {
    static final String OP = "queue.move";

    @Override
    public String describe(String vhost) {
      return "move " + VirtualHost.resource(vhost, "queue", name) + " to node " + node;
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) {
      vhost.applyMoveQueue(name, incarnation, node, term);
      return 0;
    }

    @Override
    public Map<String, Object> encode() {
      return Map.of("op", OP, "name", name, "incarnation", incarnation, "node", node, "term", term);
    }
  }

  /** queue.bind, once the binder's right to the queue was checked. */
  record BindQueue(String queue, String exchange, String key, Map<String, Object> arguments)
      implements TopologyChange {
    static final String OP = "queue.bind";

    @Override
    public String describe(String vhost) {
      return "bind " + VirtualHost.resource(vhost, "queue", queue);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) throws AmqpException {
      vhost.applyBindQueue(queue, exchange, key, arguments);
      return 0;
    }

    @Override
    public Map<String, Object> encode() {
      return Map.of(
          "op", OP, "queue", queue, "exchange", exchange, "key", key, "arguments", arguments);
    }
  }

  /** queue.unbind. */
  record UnbindQueue(String queue, String exchange, String key, Map<String, Object> arguments)
      implements TopologyChange {
    static final String OP = "queue.unbind";

    @Override
    public String describe(String vhost) {
      return "unbind " + VirtualHost.resource(vhost, "queue", queue);
    }

    @Override
    public long applyTo(VirtualHost vhost, long index) {
      vhost.applyUnbindQueue(queue, exchange, key, arguments);
      return 0;
    }

    @Override
    public Map<String, Object> encode() {
      return Map.of(
          "op", OP, "queue", queue, "exchange", exchange, "key", key, "arguments", arguments);
    }
  }

  private static String s(Map<String, Object> t, String key) {
    return FieldTable.string(t, key);
  }

  private static boolean b(Map<String, Object> t, String key) {
    return Boolean.TRUE.equals(t.get(key));
  }

  private static List<String> list(Map<String, Object> t, String key) {
    String v = FieldTable.string(t, key);
    return v == null || v.isEmpty() ? List.of() : List.of(v.split(","));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> table(Map<String, Object> t, String key) {
    Object v = t.get(key);
    return v == null ? Map.of() : (Map<String, Object>) v;
  }
}
