package io.warrenmq.broker.store.h2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.warrenmq.broker.exchange.Binding;
import io.warrenmq.broker.exchange.Exchange;
import io.warrenmq.broker.message.MemoryAccount;
import io.warrenmq.broker.message.Message;
import io.warrenmq.broker.protocol.FieldTable;
import io.warrenmq.broker.protocol.LongString;
import io.warrenmq.broker.protocol.Wire;
import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.queue.QueueSettings;
import io.warrenmq.broker.queue.QueueStorage;
import io.warrenmq.broker.queue.QueueType;
import io.warrenmq.broker.store.DefinitionStore;
import io.warrenmq.broker.store.Durability;
import io.warrenmq.broker.store.PriorityLevels;
import io.warrenmq.broker.store.RecoveryVisitor;
import io.warrenmq.broker.store.StoreException;
import io.warrenmq.broker.store.SyncListener;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The durable store: one H2 MVStore file ({@value #FILE_NAME}) under the data directory, holding
 * durable definitions, persistent messages and the queues' paged-out tails.
 *
 * <p><b>Layout.</b> Maps {@code exchanges}, {@code queues}, {@code bindings}, {@code vhosts},
 * {@code users} hold definitions; {@code messages} maps a message id to the message, stored once
 * however many durable queues hold it; each queue has a map from sequence number to an entry (a
 * message id, or a transient message inline when paged out); {@code delivered} keeps each durable
 * queue's highest delivered sequence number, so that messages delivered before a stop come back
 * flagged redelivered; {@code meta} holds the schema version and id counters.
 *
 * <p><b>Durability.</b> Map writes happen on the callers' threads (MVStore maps are concurrent);
 * the {@link GroupCommit} thread commits and fsyncs them in batches and only then tells publishers,
 * so a confirm always follows the sync that made its message durable.
 *
 * <p><b>Recovery.</b> Non-durable queue maps and transient entries are dropped; a message no queue
 * refers to any more is deleted; reference counts are rebuilt by sorting message ids, not in a map,
 * so that millions of messages recover in a small heap.
 */
public final class H2Store implements DefinitionStore, Durability, AutoCloseable {

  static final System.Logger LOG = System.getLogger("io.warrenmq.broker.store");

  public static final String FILE_NAME = "warren.mv.db";
  public static final long SCHEMA_VERSION = 1;

  private static final String DURABLE_QUEUE_MAP = "queue.";
  private static final String TRANSIENT_QUEUE_MAP = "transient-queue.";

  private final Path file;
  private final MVStore mv;
  private final MVMap<String, Long> meta;
  private final MVMap<String, byte[]> vhosts;
  private final MVMap<String, byte[]> users;
  private final MVMap<String, byte[]> exchanges;
  private final MVMap<String, byte[]> queues;
  private final MVMap<String, byte[]> bindings;
  private final MVMap<Long, byte[]> messages;
  private final MVMap<Long, Long> delivered;
  private final AtomicLong nextMessageId;
  private final AtomicLong nextQueueId;
  private final Map<Long, Integer> sharedRefs = new ConcurrentHashMap<>();
  private final MemoryAccount memory;
  private final PagingLimits paging;
  private final GroupCommit commit;

  /**
   * How much of a queue stays on the heap before its tail is paged out to the store: every queue
   * may keep {@code messages} messages and {@code bytes} octets; beyond that it keeps taking
   * messages on the heap only while all messages in the broker hold less than {@code sharedBytes}
   * (RabbitMQ pages at half its memory high watermark; so does the broker's default).
   */
  public record PagingLimits(int messages, long bytes, long sharedBytes) {

    /** Limits with no shared allowance: each queue pages past its own bound. */
    public PagingLimits(int messages, long bytes) {
      this(messages, bytes, 0);
    }

    /** The per-queue bounds alone, with no shared allowance. */
    public static PagingLimits defaults() {
      return new PagingLimits(8192, 8L * 1024 * 1024);
    }

    /** The defaults, paging at half of {@code memoryHighWatermarkBytes}. */
    public static PagingLimits forWatermark(long memoryHighWatermarkBytes) {
      return new PagingLimits(8192, 8L * 1024 * 1024, memoryHighWatermarkBytes / 2);
    }
  }

  static {
    // Registers the fdatasync file system before the first store opens.
    new DataSyncFilePath();
  }

  private H2Store(Path file, MVStore mv, MemoryAccount memory, PagingLimits paging) {
    this.file = file;
    this.mv = mv;
    this.memory = memory;
    this.paging = paging;
    this.meta = mv.openMap("meta");
    checkSchema();
    this.vhosts = mv.openMap("vhosts");
    this.users = mv.openMap("users");
    this.exchanges = mv.openMap("exchanges");
    this.queues = mv.openMap("queues");
    this.bindings = mv.openMap("bindings");
    this.messages = mv.openMap("messages");
    this.delivered = mv.openMap("delivered");
    Long lastMessage = messages.lastKey();
    this.nextMessageId =
        new AtomicLong(
            Math.max(
                meta.getOrDefault("next-message-id", 1L),
                lastMessage == null ? 1 : lastMessage + 1));
    this.nextQueueId = new AtomicLong(meta.getOrDefault("next-queue-id", 1L));
    this.commit = new GroupCommit(mv);
  }

  /**
   * Opens (or creates) the store in {@code dataDir}.
   *
   * @throws StoreException naming the file when it cannot be opened, is corrupt, or was written by
   *     an unknown schema version; the store is never emptied to recover from that
   */
  public static H2Store open(Path dataDir, MemoryAccount memory, PagingLimits paging) {
    Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new StoreException("cannot create the data directory " + dataDir.toAbsolutePath(), e);
    }
    if (Files.exists(file) && !Files.isReadable(file)) {
      throw new StoreException("the message store " + file + " is not readable");
    }
    MVStore mv;
    try {
      mv =
          new MVStore.Builder()
              .fileName(DataSyncFilePath.fileName(file.toString()))
              .autoCommitDisabled()
              .open();
    } catch (RuntimeException e) {
      throw new StoreException(
          "cannot open the message store "
              + file
              + ": "
              + e.getMessage()
              + ". The file is left as it is; restore it from a backup, or move it away to start"
              + " empty.",
          e);
    }
    mv.setRetentionTime(0);
    try {
      // The commit thread starts after recovery (or at first use): nothing is written to a file
      // that recovery has not yet read in full.
      return new H2Store(file, mv, memory, paging);
    } catch (StoreException e) {
      mv.closeImmediately();
      throw e;
    } catch (RuntimeException e) {
      mv.closeImmediately();
      throw new StoreException("cannot read the message store " + file + ": " + e.getMessage(), e);
    }
  }

  private void checkSchema() {
    Long version = meta.get("schema-version");
    if (version == null) {
      if (mv.getMapNames().size() > 1) {
        throw new StoreException(
            "the file " + file + " holds data but no WarrenMQ schema version; refusing to use it");
      }
      meta.put("schema-version", SCHEMA_VERSION);
      mv.commit();
    } else if (version > SCHEMA_VERSION) {
      throw new StoreException(
          "the message store "
              + file
              + " was written with schema version "
              + version
              + " by a newer WarrenMQ; this version reads schema "
              + SCHEMA_VERSION);
    }
    // Older versions would be upgraded here; schema 1 is the first.
  }

  public Path file() {
    return file;
  }

  // ------------------------------------------------------------------ durability

  @Override
  public void whenSynced(SyncListener listener) {
    commit.start();
    commit.whenSynced(listener);
  }

  // ------------------------------------------------------------------ definitions

  private static String key(String vhost, String name) {
    return vhost + '\u0000' + name;
  }

  /** Records the virtual hosts and users the configuration names. */
  public void saveVhostsAndUsers(
      Set<String> vhostNames,
      Map<String, io.warrenmq.broker.BrokerConfig.User> userMap,
      Map<String, Set<String>> permissions) {
    for (String v : vhostNames) {
      vhosts.put(v, new byte[0]);
    }
    for (io.warrenmq.broker.BrokerConfig.User u : userMap.values()) {
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("password", u.password());
      record.put("tags", new ArrayList<Object>(u.tags()));
      record.put("loopback-only", u.loopbackOnly());
      record.put("vhosts", new ArrayList<Object>(permissions.getOrDefault(u.name(), Set.of())));
      users.put(u.name(), Records.table(record));
    }
    whenSynced(f -> {});
  }

  @Override
  public void exchangeDeclared(String vhost, Exchange x) {
    ByteBuf out = Unpooled.buffer();
    try {
      Wire.writeShortString(out, x.type());
      out.writeBoolean(x.autoDelete()).writeBoolean(x.internal());
      FieldTable.write(out, x.arguments());
      exchanges.put(key(vhost, x.name()), bytes(out));
    } finally {
      out.release();
    }
    whenSynced(f -> {});
  }

  @Override
  public void exchangeDeleted(String vhost, String name) {
    exchanges.remove(key(vhost, name));
    whenSynced(f -> {});
  }

  @Override
  public QueueStorage queueDeclared(
      String vhost,
      String name,
      boolean durable,
      boolean autoDelete,
      Map<String, Object> args,
      long incarnation) {
    long id = nextQueueId.getAndIncrement();
    meta.put("next-queue-id", id + 1);
    if (!durable) {
      return queueStorage(TRANSIENT_QUEUE_MAP + id, id, false, args, 0, -1, false);
    }
    ByteBuf out = Unpooled.buffer();
    try {
      out.writeLong(id).writeBoolean(autoDelete);
      FieldTable.write(out, args);
      out.writeLong(incarnation); // absent from records written before clustering: 0
      queues.put(key(vhost, name), bytes(out));
    } finally {
      out.release();
    }
    whenSynced(f -> {});
    return queueStorage(DURABLE_QUEUE_MAP + id, id, true, args, 0, -1, false);
  }

  /**
   * A queue's storage: one level, or one per priority for a queue with {@code x-max-priority}. A
   * quorum queue keeps every message it takes, transient ones too.
   *
   * @param recovered whether the map holds a recovered queue's entries
   */
  private QueueStorage queueStorage(
      String mapName,
      long id,
      boolean durable,
      Map<String, Object> args,
      long next,
      long deliveredUpTo,
      boolean recovered) {
    QueueSettings settings = QueueSettings.of(args);
    boolean keepsAll = settings.type() == QueueType.QUORUM;
    H2QueueStorage.QueueMap map = new H2QueueStorage.QueueMap(mapName);
    if (settings.maxPriority() == 0) {
      return new H2QueueStorage(this, map, id, durable, keepsAll, 0, next, deliveredUpTo);
    }
    PriorityLevels levels =
        new PriorityLevels(
            p -> new H2QueueStorage(this, map, id, durable, keepsAll, p, next, deliveredUpTo));
    if (recovered) {
      MVMap<Long, byte[]> stored = openQueueMap(mapName);
      for (int p = 1; p <= settings.maxPriority(); p++) {
        if (H2QueueStorage.holds(stored, p)) {
          levels.restoreLevel(p);
        }
      }
    }
    return levels;
  }

  @Override
  public void queueDeleted(String vhost, String name, boolean durable) {
    if (durable) {
      queues.remove(key(vhost, name));
      whenSynced(f -> {});
    }
  }

  @Override
  public void bindingAdded(String vhost, Binding b) {
    bindings.put(bindingKey(vhost, b), bindingRecord(b));
    whenSynced(f -> {});
  }

  @Override
  public void bindingRemoved(String vhost, Binding b) {
    bindings.remove(bindingKey(vhost, b));
    whenSynced(f -> {});
  }

  private static String bindingKey(String vhost, Binding b) {
    return vhost
        + '\u0000'
        + b.source().name()
        + '\u0000'
        + (b.destination() instanceof Queue ? 'q' : 'x')
        + '\u0000'
        + b.destination().name()
        + '\u0000'
        + b.routingKey()
        + '\u0000'
        + Arrays.hashCode(Records.table(b.arguments()));
  }

  private static byte[] bindingRecord(Binding b) {
    ByteBuf out = Unpooled.buffer();
    try {
      Wire.writeShortString(out, b.source().name());
      Wire.writeShortString(out, b.destination().name());
      out.writeBoolean(b.destination() instanceof Queue);
      Wire.writeShortString(out, b.routingKey());
      FieldTable.write(out, b.arguments());
      return bytes(out);
    } finally {
      out.release();
    }
  }

  private static byte[] bytes(ByteBuf out) {
    byte[] b = new byte[out.readableBytes()];
    out.readBytes(b);
    return b;
  }

  // ------------------------------------------------------------------ messages (for queues)

  MVMap<Long, byte[]> openQueueMap(String name) {
    return mv.openMap(name);
  }

  /**
   * Removes a deleted queue's map. Only a durable queue's map refers to shared message records; a
   * non-durable queue's holds its paged messages inline, so it goes without being read.
   */
  void dropQueueMap(MVMap<Long, byte[]> map, boolean durable) {
    if (!durable) {
      mv.removeMap(map);
      return;
    }
    for (Iterator<byte[]> it = map.values().iterator(); it.hasNext(); ) {
      byte[] entry = it.next();
      if (Records.isReference(entry)) {
        unref(Records.referencedId(entry));
      }
    }
    mv.removeMap(map);
  }

  /** Stores a persistent message's record once; later queues add a reference. */
  long persist(Message m) {
    long id = m.storeId();
    if (id == 0) {
      id = nextMessageId.getAndIncrement();
      messages.put(id, Records.message(m));
      m.storeId(id);
    } else {
      sharedRefs.merge(id, 2, (old, two) -> old + 1);
    }
    return id;
  }

  /** One queue let go of a stored message; the last one deletes it. */
  void unref(long id) {
    boolean[] shared = {false};
    sharedRefs.computeIfPresent(
        id,
        (k, v) -> {
          shared[0] = true;
          return v - 1 <= 1 ? null : v - 1;
        });
    if (!shared[0]) {
      messages.remove(id);
    }
  }

  Message loadMessage(long id) {
    byte[] bytes = messages.get(id);
    if (bytes == null) {
      throw new StoreException("message " + id + " is missing from the store " + file);
    }
    Message m = Records.message(bytes, 0, memory);
    m.storeId(id);
    return m;
  }

  Message inlineMessage(byte[] entry) {
    return Records.message(entry, 1, memory);
  }

  void recordDelivered(long queueId, long sequence) {
    delivered.put(queueId, sequence);
  }

  PagingLimits paging() {
    return paging;
  }

  /** Whether messages across the broker hold less than the shared paging allowance. */
  boolean belowSharedPagingLimit() {
    return paging.sharedBytes() > 0 && memory.bytes() < paging.sharedBytes();
  }

  // ------------------------------------------------------------------ recovery

  /**
   * Hands back everything stored, in dependency order, and cleans what must not survive a restart:
   * non-durable queues, transient messages, messages no queue refers to.
   */
  public void recover(RecoveryVisitor visitor) {
    verify();
    for (String name : mv.getMapNames()) {
      if (name.startsWith(TRANSIENT_QUEUE_MAP)) {
        mv.removeMap(name);
      }
    }
    for (String v : vhosts.keySet()) {
      visitor.vhost(v);
    }
    for (Map.Entry<String, byte[]> u : users.entrySet()) {
      Map<String, Object> r = Records.table(Unpooled.wrappedBuffer(u.getValue()));
      visitor.user(
          u.getKey(),
          FieldTable.string(r, "password"),
          strings(r.get("tags")),
          Boolean.TRUE.equals(r.get("loopback-only")),
          new LinkedHashSet<>(strings(r.get("vhosts"))));
    }
    for (Map.Entry<String, byte[]> e : exchanges.entrySet()) {
      String[] k = e.getKey().split("\u0000", 2);
      ByteBuf in = Unpooled.wrappedBuffer(e.getValue());
      String type = Wire.readShortString(in);
      boolean autoDelete = in.readBoolean();
      boolean internal = in.readBoolean();
      visitor.exchange(k[0], k[1], type, autoDelete, internal, Records.table(in));
    }
    // First pass: drop transient leftovers and collect every reference, so that reference counts
    // are right and dangling entries gone before any queue is handed out.
    long[] refs = new long[1024];
    int refCount = 0;
    Set<String> liveMaps = new LinkedHashSet<>();
    for (Map.Entry<String, byte[]> e : queues.entrySet()) {
      long id = Unpooled.wrappedBuffer(e.getValue()).readLong();
      String mapName = DURABLE_QUEUE_MAP + id;
      liveMaps.add(mapName);
      MVMap<Long, byte[]> map = mv.openMap(mapName);
      List<Long> transientEntries = new ArrayList<>();
      for (Map.Entry<Long, byte[]> entry : map.entrySet()) {
        if (Records.isReference(entry.getValue())) {
          if (refCount == refs.length) {
            refs = Arrays.copyOf(refs, refs.length * 2);
          }
          refs[refCount++] = Records.referencedId(entry.getValue());
        } else {
          transientEntries.add(entry.getKey());
        }
      }
      transientEntries.forEach(map::remove);
    }
    for (String name : mv.getMapNames()) {
      if (name.startsWith(DURABLE_QUEUE_MAP) && !liveMaps.contains(name)) {
        mv.removeMap(name);
      }
    }
    long[] missing = rebuildReferences(Arrays.copyOf(refs, refCount));
    if (missing.length > 0) {
      dropDanglingEntries(liveMaps, missing);
    }
    // Second pass over the same (unchanged) queue records: hand the queues out.
    for (Map.Entry<String, byte[]> e : queues.entrySet()) {
      String[] k = e.getKey().split("\u0000", 2);
      ByteBuf in = Unpooled.wrappedBuffer(e.getValue());
      long id = in.readLong();
      boolean autoDelete = in.readBoolean();
      Map<String, Object> args = Records.table(in);
      long incarnation = in.readableBytes() >= Long.BYTES ? in.readLong() : 0;
      String mapName = DURABLE_QUEUE_MAP + id;
      long last = H2QueueStorage.lastArrival(mv.openMap(mapName));
      long deliveredUpTo = delivered.getOrDefault(id, -1L);
      // Sequence numbers continue past both the last stored entry and the delivery mark, so a
      // message published after the restart is never mistaken for one delivered before it.
      long next = Math.max(last + 1, deliveredUpTo + 1);
      QueueStorage storage = queueStorage(mapName, id, true, args, next, deliveredUpTo, true);
      visitor.queue(k[0], k[1], autoDelete, args, storage, incarnation);
    }
    for (Map.Entry<String, byte[]> e : bindings.entrySet()) {
      String vhostName = e.getKey().substring(0, e.getKey().indexOf('\u0000'));
      ByteBuf in = Unpooled.wrappedBuffer(e.getValue());
      String source = Wire.readShortString(in);
      String destination = Wire.readShortString(in);
      boolean toQueue = in.readBoolean();
      String key = Wire.readShortString(in);
      visitor.binding(vhostName, source, destination, toQueue, key, Records.table(in));
    }
    mv.commit();
    commit.start();
  }

  /**
   * Reads every live page of every map before recovery changes anything: MVStore checks each page
   * as it reads it, so damage anywhere in the file stops the start here, with the file untouched,
   * rather than surfacing later as a lost message.
   */
  private void verify() {
    try {
      for (String name : mv.getMapNames()) {
        MVMap<Object, Object> map = mv.openMap(name);
        for (Map.Entry<Object, Object> e : map.entrySet()) {
          Objects.requireNonNull(e.getValue());
        }
      }
    } catch (RuntimeException e) {
      throw new StoreException(
          "the message store "
              + file
              + " is damaged: "
              + e.getMessage()
              + ". The file is left as it is; restore it from a backup, or move it away to start"
              + " empty.",
          e);
    }
  }

  /**
   * Counts references by sorting ids; deletes unreferenced messages, remembers shared ones, and
   * returns the referenced ids that have no message.
   *
   * <p>Both kinds of leftover come from a crash: a commit takes each map's state in turn, not all
   * at one instant, so a publish or an acknowledgement that was in flight during the last commit
   * before the crash can be in one map and not yet (or no longer) in the other. Neither was
   * confirmed to its publisher (a confirm waits for a commit that started after both writes), so
   * dropping the leftovers loses nothing anyone was promised.
   */
  private long[] rebuildReferences(long[] ids) {
    Arrays.sort(ids);
    for (int i = 0, j; i < ids.length; i = j) {
      j = next(ids, i);
      if (j - i > 1) {
        sharedRefs.put(ids[i], j - i);
      }
    }
    // One merge of two sorted sequences: the referenced ids and the stored messages' ids.
    List<Long> orphans = new ArrayList<>();
    LongStream.Builder missing = LongStream.builder();
    int r = 0;
    for (Long id : messages.keySet()) {
      for (; r < ids.length && ids[r] < id; r = next(ids, r)) {
        missing.add(ids[r]);
      }
      if (r < ids.length && ids[r] == id) {
        r = next(ids, r);
      } else {
        orphans.add(id);
      }
    }
    for (; r < ids.length; r = next(ids, r)) {
      missing.add(ids[r]);
    }
    orphans.forEach(messages::remove);
    if (!orphans.isEmpty()) {
      LOG.log(Level.INFO, "removed {0} messages that no queue referred to", orphans.size());
    }
    return missing.build().toArray();
  }

  /** The index of the first id after the run of equal ids starting at {@code i}. */
  private static int next(long[] sortedIds, int i) {
    long id = sortedIds[i];
    while (i < sortedIds.length && sortedIds[i] == id) {
      i++;
    }
    return i;
  }

  /** Removes queue entries that refer to one of the {@code missing} (sorted) message ids. */
  private void dropDanglingEntries(Set<String> queueMaps, long[] missing) {
    int dropped = 0;
    for (String name : queueMaps) {
      MVMap<Long, byte[]> map = mv.openMap(name);
      List<Long> keys = new ArrayList<>();
      for (Map.Entry<Long, byte[]> entry : map.entrySet()) {
        if (Records.isReference(entry.getValue())
            && Arrays.binarySearch(missing, Records.referencedId(entry.getValue())) >= 0) {
          keys.add(entry.getKey());
        }
      }
      keys.forEach(map::remove);
      dropped += keys.size();
    }
    for (long id : missing) {
      sharedRefs.remove(id);
    }
    LOG.log(
        Level.INFO,
        "removed {0} queue entries whose message was not committed before the last stop"
            + " (unconfirmed publishes or acknowledged messages)",
        dropped);
  }

  private static List<String> strings(Object list) {
    List<String> out = new ArrayList<>();
    if (list instanceof List<?> l) {
      for (Object o : l) {
        out.add(o instanceof LongString || o instanceof String ? o.toString() : String.valueOf(o));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Commits, syncs and closes the file. */
  @Override
  public void close() {
    commit.stop();
    meta.put("next-message-id", nextMessageId.get());
    if (!mv.isClosed()) {
      // No compaction on close: MVStore's chunk-moving compaction (compactMoveChunks) trips an
      // internal assertion in H2 2.4; the commit thread's periodic compact() keeps the file from
      // growing instead, and free space inside the file is reused.
      mv.close(0);
    }
  }

  /** Closes without the final commit, as a crash would; for tests. */
  public void closeImmediately() {
    commit.stop();
    mv.closeImmediately();
  }

  long fileSize() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }
}
