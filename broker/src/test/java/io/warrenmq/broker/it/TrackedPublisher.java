package io.warrenmq.broker.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.time.Duration;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A channel in publisher-confirm mode whose messages are persistent and carry a unique id as their
 * body: it remembers the id under each publish sequence number and files it under confirmed or
 * nacked when the broker answers, so that a test can later check every confirmed id against what a
 * consumer received. At most {@code window} publishes wait for their answer at a time.
 *
 * <p>One thread publishes; the client's connection thread answers.
 */
final class TrackedPublisher {

  static final AMQP.BasicProperties PERSISTENT =
      new AMQP.BasicProperties.Builder().deliveryMode(2).build();

  private final Channel channel;
  private final String queue;
  private final int window;
  private final Set<String> confirmed;
  private final Set<String> nacked;

  /** Guarded by this: the ids still waiting for their ack or nack, by sequence number. */
  private final NavigableMap<Long, String> unanswered = new TreeMap<>();

  TrackedPublisher(
      Channel channel, String queue, int window, Set<String> confirmed, Set<String> nacked)
      throws IOException {
    this.channel = channel;
    this.queue = queue;
    this.window = window;
    this.confirmed = confirmed;
    this.nacked = nacked;
    channel.addConfirmListener(
        (seq, multiple) -> answer(seq, multiple, this.confirmed),
        (seq, multiple) -> answer(seq, multiple, this.nacked));
    channel.addShutdownListener(cause -> wake());
    channel.confirmSelect();
  }

  /**
   * Publishes {@code id} to the queue through the default exchange, once fewer than the window's
   * publishes wait for an answer.
   *
   * @throws TimeoutException when the window stays full for {@code timeout}
   * @throws IOException when the channel is closed
   */
  void publish(String id, Duration timeout)
      throws IOException, InterruptedException, TimeoutException {
    synchronized (this) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (unanswered.size() >= window) {
        if (!channel.isOpen()) {
          throw new IOException("channel closed", channel.getCloseReason());
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException(unanswered.size() + " publishes unanswered for " + timeout);
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      unanswered.put(channel.getNextPublishSeqNo(), id);
    }
    channel.basicPublish("", queue, PERSISTENT, id.getBytes(UTF_8));
  }

  /**
   * Waits until every publish has its ack or nack.
   *
   * @return whether they all have; false when {@code timeout} passed or the channel closed first
   */
  synchronized boolean awaitAnswers(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!unanswered.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !channel.isOpen()) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** Publishes still without an answer. */
  synchronized int unanswered() {
    return unanswered.size();
  }

  private synchronized void answer(long seq, boolean multiple, Set<String> into) {
    if (multiple) {
      NavigableMap<Long, String> covered = unanswered.headMap(seq, true);
      into.addAll(covered.values());
      covered.clear();
    } else {
      String id = unanswered.remove(seq);
      if (id != null) {
        into.add(id);
      }
    }
    notifyAll();
  }

  private synchronized void wake() {
    notifyAll();
  }
}
