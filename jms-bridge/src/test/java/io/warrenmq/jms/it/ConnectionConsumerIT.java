package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionConsumer;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.ServerSession;
import jakarta.jms.ServerSessionPool;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The application server facilities (§8.2): connection consumers feeding a pool of server sessions
 * whose distinguished listeners run the messages, as an application server without a resource
 * adapter would use them. The pool here is the smallest real one: a blocking queue of server
 * sessions, each started on a thread of its own.
 */
class ConnectionConsumerIT extends JmsTestSupport {

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  /** A pool of {@code size} server sessions over {@code connection}, listeners made per session. */
  private final class Pool implements ServerSessionPool {
    final BlockingQueue<ServerSession> free = new LinkedBlockingQueue<>();
    final List<Session> sessions = new ArrayList<>();

    Pool(Connection connection, int size, int mode, Function<Session, MessageListener> listeners)
        throws JMSException {
      for (int i = 0; i < size; i++) {
        Session session = connection.createSession(mode == Session.SESSION_TRANSACTED, mode);
        session.setMessageListener(listeners.apply(session));
        sessions.add(session);
        ServerSession[] self = new ServerSession[1];
        self[0] =
            new ServerSession() {
              @Override
              public Session getSession() {
                return session;
              }

              @Override
              public void start() {
                threads.execute(
                    () -> {
                      try {
                        session.run();
                      } finally {
                        free.add(self[0]);
                      }
                    });
              }
            };
        free.add(self[0]);
      }
    }

    @Override
    public ServerSession getServerSession() throws JMSException {
      try {
        return free.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JMSException("interrupted");
      }
    }
  }

  private static String text(Message m) {
    try {
      return ((TextMessage) m).getText();
    } catch (JMSException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(Session session, jakarta.jms.Destination d, String... texts)
      throws JMSException {
    MessageProducer p = session.createProducer(d);
    for (String t : texts) {
      p.send(session.createTextMessage(t));
    }
  }

  private int depth(Queue queue) throws Exception {
    return amqpConnection()
        .createChannel()
        .queueDeclarePassive(queue.getQueueName())
        .getMessageCount();
  }

  @Test
  void serverSessionsProcessAQueueConcurrentlyAndEveryMessageOnce() throws Exception {
    Connection connection = connection();
    Session sender = connection.createSession();
    Queue queue = sender.createQueue(unique("asf"));
    BlockingQueue<String> processed = new LinkedBlockingQueue<>();
    Set<Session> busy = ConcurrentHashMap.newKeySet();
    Set<Session> used = ConcurrentHashMap.newKeySet();
    int[] maxBusy = new int[1];
    Pool pool =
        new Pool(
            connection,
            3,
            Session.AUTO_ACKNOWLEDGE,
            s ->
                m -> {
                  busy.add(s);
                  used.add(s);
                  synchronized (maxBusy) {
                    maxBusy[0] = Math.max(maxBusy[0], busy.size());
                  }
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  busy.remove(s);
                  processed.add(text(m));
                });
    assertSame(
        pool.sessions.get(0).getMessageListener(), pool.sessions.get(0).getMessageListener());
    ConnectionConsumer cc = connection.createConnectionConsumer(queue, null, pool, 1);
    assertSame(pool, cc.getServerSessionPool());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      expected.add("m" + i);
    }
    send(sender, queue, expected.toArray(new String[0]));
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      got.add(notNull(processed.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS), "message " + i));
    }
    got.sort(null);
    expected.sort(null);
    assertEquals(expected, got);
    assertTrue(used.size() > 1, "only one server session was used");
    assertTrue(maxBusy[0] <= 3, "more server sessions busy than the pool holds");
    cc.close();
    await("every message is acknowledged", () -> orMinusOne(() -> depth(queue)) == 0);
    assertNull(processed.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void aListenerThatThrowsGetsTheMessageAgainRedelivered() throws Exception {
    Connection connection = connection();
    Session sender = connection.createSession();
    Queue queue = sender.createQueue(unique("asf-retry"));
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    Pool pool =
        new Pool(
            connection,
            2,
            Session.AUTO_ACKNOWLEDGE,
            s ->
                m -> {
                  try {
                    seen.add(
                        text(m)
                            + " redelivered="
                            + m.getJMSRedelivered()
                            + " count="
                            + m.getIntProperty("JMSXDeliveryCount"));
                    if (!m.getJMSRedelivered()) {
                      throw new IllegalStateException("first time fails");
                    }
                  } catch (JMSException e) {
                    throw new IllegalStateException(e);
                  }
                });
    connection.createConnectionConsumer(queue, null, pool, 1);
    send(sender, queue, "once");
    assertEquals("once redelivered=false count=1", seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertEquals("once redelivered=true count=2", seen.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    await("the message is acknowledged", () -> orMinusOne(() -> depth(queue)) == 0);
  }

  @Test
  void aTransactedServerSessionAcknowledgesOnCommitAndRedeliversOnRollback() throws Exception {
    Connection connection = connection();
    Session sender = connection.createSession();
    Queue queue = sender.createQueue(unique("asf-tx"));
    Queue replies = sender.createQueue(unique("asf-replies"));
    BlockingQueue<Boolean> attempts = new LinkedBlockingQueue<>();
    Pool pool =
        new Pool(
            connection,
            1,
            Session.SESSION_TRANSACTED,
            s ->
                m -> {
                  try {
                    s.createProducer(replies).send(s.createTextMessage("reply to " + text(m)));
                    attempts.add(m.getJMSRedelivered());
                    if (m.getJMSRedelivered()) {
                      s.commit();
                    } else {
                      s.rollback();
                    }
                  } catch (JMSException e) {
                    throw new IllegalStateException(e);
                  }
                });
    connection.createConnectionConsumer(queue, null, pool, 1);
    send(sender, queue, "job");
    assertEquals(Boolean.FALSE, attempts.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertEquals(Boolean.TRUE, attempts.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    await("the job is acknowledged", () -> orMinusOne(() -> depth(queue)) == 0);
    assertEquals(1, depth(replies), "the rolled-back reply was sent");
  }

  @Test
  void sharedAndDurableConnectionConsumersReadTheirSubscriptions() throws Exception {
    Connection connection = track(factory().createConnection());
    connection.setClientID(unique("asf-client"));
    connection.start();
    Session sender = connection.createSession();
    Topic topic = sender.createTopic(unique("asf-news"));
    BlockingQueue<String> shared = new ArrayBlockingQueue<>(10);
    BlockingQueue<String> durable = new ArrayBlockingQueue<>(10);
    BlockingQueue<String> sharedDurable = new ArrayBlockingQueue<>(10);
    ConnectionConsumer a =
        connection.createSharedConnectionConsumer(
            topic,
            "shared-sub",
            null,
            new Pool(connection, 1, Session.AUTO_ACKNOWLEDGE, s -> m -> shared.add(text(m))),
            1);
    ConnectionConsumer b =
        connection.createDurableConnectionConsumer(
            topic,
            "durable-sub",
            "important = TRUE",
            new Pool(connection, 1, Session.AUTO_ACKNOWLEDGE, s -> m -> durable.add(text(m))),
            1);
    ConnectionConsumer c =
        connection.createSharedDurableConnectionConsumer(
            topic,
            "shared-durable-sub",
            null,
            new Pool(connection, 1, Session.AUTO_ACKNOWLEDGE, s -> m -> sharedDurable.add(text(m))),
            1);
    MessageProducer p = sender.createProducer(topic);
    TextMessage plain = sender.createTextMessage("plain");
    TextMessage important = sender.createTextMessage("important");
    important.setBooleanProperty("important", true);
    p.send(plain);
    p.send(important);
    assertEquals("plain", shared.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertEquals("important", shared.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertEquals("important", durable.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertEquals("plain", sharedDurable.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertEquals("important", sharedDurable.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    assertNull(durable.poll(200, TimeUnit.MILLISECONDS));
    a.close();
    b.close();
    c.close();
    sender.unsubscribe("durable-sub");
    sender.unsubscribe("shared-durable-sub");
  }

  @Test
  void closingTheConnectionConsumerLeavesUnprocessedMessagesOnTheQueue() throws Exception {
    Connection connection = connection();
    Session sender = connection.createSession();
    Queue queue = sender.createQueue(unique("asf-close"));
    BlockingQueue<String> processed = new LinkedBlockingQueue<>();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Pool pool =
        new Pool(
            connection,
            1,
            Session.CLIENT_ACKNOWLEDGE,
            s ->
                m -> {
                  processed.add(text(m));
                  try {
                    release.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  // CLIENT_ACKNOWLEDGE and never acknowledged: it goes back when the session closes
                });
    ConnectionConsumer cc = connection.createConnectionConsumer(queue, null, pool, 1);
    send(sender, queue, "a", "b", "c");
    assertEquals("a", processed.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    release.countDown();
    for (Session s : pool.sessions) {
      s.close();
    }
    cc.close();
    await("all three are back on the queue", () -> orMinusOne(() -> depth(queue)) == 3);
  }

  @Test
  void aConnectionConsumerNeedsAPoolAndAPositiveMaxMessages() throws Exception {
    Connection connection = connection();
    Queue queue = connection.createSession().createQueue(unique("asf-args"));
    assertThrows(
        JMSException.class, () -> connection.createConnectionConsumer(queue, null, null, 1));
    Pool pool = new Pool(connection, 1, Session.AUTO_ACKNOWLEDGE, s -> m -> {});
    assertThrows(
        JMSException.class, () -> connection.createConnectionConsumer(queue, null, pool, 0));
    connection.close();
    assertThrows(
        jakarta.jms.IllegalStateException.class,
        () -> connection.createConnectionConsumer(queue, null, pool, 1));
  }

  private interface Count {
    int get() throws Exception;
  }

  private static int orMinusOne(Count c) {
    try {
      return c.get();
    } catch (Exception e) {
      return -1;
    }
  }
}
