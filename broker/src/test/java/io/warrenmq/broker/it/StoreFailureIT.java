package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import io.warrenmq.broker.Broker;
import io.warrenmq.broker.BrokerConfig;
import io.warrenmq.broker.store.StoreException;
import io.warrenmq.broker.store.h2.H2Store;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When the store cannot be used, the broker says so and leaves it alone: a corrupt file, or one
 * written by a newer schema, stops the start with an error that names the file (and {@code Main}
 * with exit code 2), and the file keeps every byte, to be restored or inspected. When the disk runs
 * low, publishers are blocked with RabbitMQ's connection.blocked, as for the memory alarm.
 */
class StoreFailureIT extends BrokerTestSupport {

  private static final long TIMEOUT_SECONDS = 10;
  private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(30);

  private final List<Path> dirs = new ArrayList<>();

  @BeforeEach
  void onlyInProcess() {
    assumeInProcess();
  }

  @AfterEach
  void deleteDirs() throws IOException {
    for (Path dir : dirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private Path newDataDir() throws IOException {
    Path dir = Files.createTempDirectory("warren-store");
    dirs.add(dir);
    return dir;
  }

  private static Path storeFile(Path dataDir) {
    return dataDir.resolve(H2Store.FILE_NAME).toAbsolutePath();
  }

  /** Runs a broker on {@code dataDir} that leaves a durable queue with persistent messages. */
  private static void writeStore(Path dataDir) throws Exception {
    try (Broker b = Broker.start(config().withDataDir(dataDir))) {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setHost("127.0.0.1");
      factory.setPort(b.port());
      try (Connection c = factory.newConnection()) {
        Channel ch = c.createChannel();
        ch.queueDeclare("kept", true, false, false, null);
        ch.confirmSelect();
        byte[] body = new byte[1024];
        for (int i = 0; i < 500; i++) {
          ch.basicPublish(
              "", "kept", new AMQP.BasicProperties.Builder().deliveryMode(2).build(), body);
        }
        ch.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      }
    }
  }

  private static void overwrite(Path file, long offset, int length, Random random)
      throws IOException {
    byte[] garbage = new byte[length];
    random.nextBytes(garbage);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      f.write(garbage);
    }
  }

  /**
   * Starts {@code Main} on {@code dataDir}, which must refuse to start: exits non-zero, in bounded
   * time, naming {@code mustName}. Returns the process's output.
   */
  private static String mainRefusesToStart(Path dataDir, String mustName) throws Exception {
    try (BrokerProcess p = BrokerProcess.start(dataDir)) {
      int exit = p.awaitExit(PROCESS_TIMEOUT);
      String output = p.output();
      assertNotEquals(0, exit, () -> "Main exited 0:\n" + output);
      assertEquals(2, exit, () -> "Main's exit code for a store it cannot open:\n" + output);
      assertTrue(output.contains("cannot start"), () -> "no 'cannot start' line:\n" + output);
      assertTrue(
          output.contains(mustName), () -> "the output does not name " + mustName + ":\n" + output);
      assertFalse(output.contains("WarrenMQ listening"), () -> "it listened:\n" + output);
      return output;
    }
  }

  /** The in-process start must throw {@link StoreException} naming the file. */
  private static StoreException brokerStartRefuses(Path dataDir) {
    StoreException e =
        assertThrows(
            StoreException.class,
            () -> {
              Broker unexpected = Broker.start(config().withDataDir(dataDir));
              unexpected.close();
            },
            "Broker.start must refuse the store with a StoreException");
    String file = storeFile(dataDir).toString();
    assertTrue(
        e.getMessage().contains(file),
        () -> "the error does not name " + file + ": " + e.getMessage());
    return e;
  }

  @Test
  void aCorruptStoreStopsTheBrokerNamingTheFileAndIsKeptAsItWas() throws Exception {
    Path dataDir = newDataDir();
    writeStore(dataDir);
    Path file = storeFile(dataDir);
    long size = Files.size(file);
    assertTrue(size > 64 * 1024, "the store holds the messages: " + size + " bytes");
    Random random = new Random(42);
    // both copies of the MVStore file header (one 4 KiB block each), and a stretch in the middle
    overwrite(file, 0, 8192, random);
    overwrite(file, size / 2, 8192, random);
    byte[] corrupt = Files.readAllBytes(file);

    mainRefusesToStart(dataDir, file.toString());
    assertArrayEquals(corrupt, Files.readAllBytes(file), "Main changed the corrupt file");

    brokerStartRefuses(dataDir);
    assertArrayEquals(corrupt, Files.readAllBytes(file), "Broker.start changed the corrupt file");
  }

  /**
   * Garbage inside the file, with both file headers and every chunk's header and footer intact:
   * MVStore opens it, and the damage shows only when recovery reads the pages. That must stop the
   * start just the same, and the failed start must not write to the file (no final commit, no
   * compaction over what is left).
   */
  @Test
  void aStoreCorruptOnlyInsideStopsTheBrokerNamingTheFileAndIsKeptAsItWas() throws Exception {
    Path dataDir = newDataDir();
    writeStore(dataDir);
    Path file = storeFile(dataDir);
    int damaged = overwriteChunkInteriors(file, new Random(3));
    assertTrue(damaged > 0, "the store has no chunk large enough to damage inside");
    byte[] corrupt = Files.readAllBytes(file);

    brokerStartRefuses(dataDir);
    assertArrayEquals(corrupt, Files.readAllBytes(file), "Broker.start changed the corrupt file");

    mainRefusesToStart(dataDir, file.toString());
    assertArrayEquals(corrupt, Files.readAllBytes(file), "Main changed the corrupt file");
  }

  /**
   * Overwrites the blocks between each MVStore chunk's first block (its header) and last block (its
   * footer) — the pages — leaving what MVStore checks at open untouched. Returns the number of
   * chunks damaged.
   */
  private static int overwriteChunkInteriors(Path file, Random random) throws IOException {
    int block = 4096;
    byte[] bytes = Files.readAllBytes(file);
    int damaged = 0;
    for (int at = 2 * block; at + block <= bytes.length; at += block) {
      String head = new String(bytes, at, Math.min(256, bytes.length - at), UTF_8);
      if (!head.startsWith("chunk:")) {
        continue;
      }
      int lenAt = head.indexOf(",len:");
      if (lenAt < 0) {
        continue;
      }
      int end = head.indexOf(',', lenAt + 5);
      int blocks = Integer.parseInt(head.substring(lenAt + 5, end), 16);
      if (blocks >= 3) {
        overwrite(file, at + block, (blocks - 2) * block, random);
        damaged++;
      }
    }
    return damaged;
  }

  @Test
  void aFileOfRandomBytesIsRefusedAndLeftAsItIs() throws Exception {
    Path dataDir = newDataDir();
    Path file = storeFile(dataDir);
    byte[] random = new byte[256 * 1024];
    new Random(7).nextBytes(random);
    Files.write(file, random);

    brokerStartRefuses(dataDir);
    assertArrayEquals(random, Files.readAllBytes(file), "Broker.start changed the file");

    mainRefusesToStart(dataDir, file.toString());
    assertArrayEquals(random, Files.readAllBytes(file), "Main changed the file");
  }

  @Test
  void aStoreOfANewerSchemaVersionIsRefusedSayingSo() throws Exception {
    Path dataDir = newDataDir();
    writeStore(dataDir);
    Path file = storeFile(dataDir);
    MVStore mv = MVStore.open(file.toString());
    try {
      MVMap<String, Long> meta = mv.openMap("meta");
      meta.put("schema-version", 99L);
      mv.commit();
    } finally {
      mv.close();
    }

    StoreException e = brokerStartRefuses(dataDir);
    assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
    assertTrue(e.getMessage().contains("newer"), e.getMessage());

    String output = mainRefusesToStart(dataDir, file.toString());
    assertTrue(output.contains("schema version 99"), output);

    MVStore after = new MVStore.Builder().fileName(file.toString()).readOnly().open();
    try {
      assertEquals(99L, after.<String, Long>openMap("meta").get("schema-version"), "not rewritten");
      assertTrue(after.hasMap("queues"), "the definitions are still there");
    } finally {
      after.close();
    }
  }

  @Test
  void aFileWithDataButNoSchemaVersionIsRefused() throws Exception {
    Path dataDir = newDataDir();
    Path file = storeFile(dataDir);
    MVStore mv = MVStore.open(file.toString());
    try {
      mv.<String, String>openMap("someone-elses").put("key", "value");
      mv.commit();
    } finally {
      mv.close();
    }

    StoreException e = brokerStartRefuses(dataDir);
    assertTrue(e.getMessage().contains("no WarrenMQ schema version"), e.getMessage());

    MVStore after = new MVStore.Builder().fileName(file.toString()).readOnly().open();
    try {
      assertEquals("value", after.<String, String>openMap("someone-elses").get("key"));
    } finally {
      after.close();
    }
  }

  // ------------------------------------------------------------------ disk alarm

  @Test
  void publishersAreBlockedLowOnDiskWhileConsumersDrainAndTheDefaultLimitUnblocks()
      throws Exception {
    // a limit no disk meets: the alarm is on from the first disk check
    restartWith(
        config().withLimits(BrokerConfig.Limits.defaults().withDiskFreeLimit(Long.MAX_VALUE / 2)));
    String queue = uniqueName("disk");
    Connection consumerConnection = newConnection();
    List<String> consumerNotices = new CopyOnWriteArrayList<>();
    consumerConnection.addBlockedListener(recorder(consumerNotices, null));
    Channel consumer = consumerConnection.createChannel();
    consumer.queueDeclare(queue, true, false, false, null);

    Connection publisherConnection = newConnection();
    List<String> notices = new CopyOnWriteArrayList<>();
    CountDownLatch blocked = new CountDownLatch(1);
    publisherConnection.addBlockedListener(recorder(notices, blocked));
    Channel publisher = publisherConnection.createChannel();
    publisher.confirmSelect();
    publisher.basicPublish("", queue, persistent("before-block"), "m0".getBytes(UTF_8));
    publisher.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));

    // RabbitMQ blocks a connection that publishes during an alarm; the check runs every second
    assertTrue(blocked.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "no connection.blocked");
    assertEquals(List.of("blocked: low on disk"), notices);
    // published while blocked: the broker does not read it while the alarm lasts
    publisher.basicPublish("", queue, persistent("while-blocked"), "m1".getBytes(UTF_8));

    BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    consumer.basicConsume(queue, false, (tag, d) -> deliveries.add(d), tag -> {});
    Delivery d = deliveries.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertTrue(d != null, "the consumer could not drain the queue during the disk alarm");
    assertEquals("before-block", d.getProperties().getMessageId());
    consumer.basicAck(d.getEnvelope().getDeliveryTag(), false);
    assertEquals(0, consumer.queueDeclarePassive(queue).getMessageCount(), "m1 was not read");
    assertEquals(List.of(), consumerNotices, "a connection that only consumes is not blocked");

    restartWith(config());

    Connection again = newConnection();
    List<String> noticesAfter = new CopyOnWriteArrayList<>();
    again.addBlockedListener(recorder(noticesAfter, null));
    Channel channel = again.createChannel();
    assertEquals(
        0,
        channel.queueDeclarePassive(queue).getMessageCount(),
        "the acked message stays gone; the unread one was never confirmed");
    channel.confirmSelect();
    // publish across more than one disk check (every second), each publish confirmed
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
    int published = 0;
    while (System.nanoTime() < until) {
      channel.basicPublish("", queue, persistent("after-" + published), new byte[16]);
      channel.waitForConfirmsOrDie(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      published++;
    }
    assertEquals(List.of(), noticesAfter, "blocked under the default disk free limit");
    assertEquals(published, channel.queueDeclarePassive(queue).getMessageCount());
    channel.queueDelete(queue);
  }

  private static AMQP.BasicProperties persistent(String messageId) {
    return new AMQP.BasicProperties.Builder().deliveryMode(2).messageId(messageId).build();
  }

  private static BlockedListener recorder(List<String> notices, CountDownLatch blocked) {
    return new BlockedListener() {
      @Override
      public void handleBlocked(String reason) {
        notices.add("blocked: " + reason);
        if (blocked != null) {
          blocked.countDown();
        }
      }

      @Override
      public void handleUnblocked() {
        notices.add("unblocked");
      }
    };
  }
}
