package io.warrenmq.jms;

import io.warrenmq.jms.link.LinkDelivery;
import io.warrenmq.jms.link.LinkException;
import io.warrenmq.jms.link.LinkSession;
import io.warrenmq.jms.message.MessageCodec;
import io.warrenmq.jms.message.WarrenMessage;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * A queue browser. AMQP 0-9-1 has no way to look at a queue without taking messages, so each
 * enumeration opens a channel of its own, takes the messages with basic.get without acknowledging
 * them, and closes the channel, which puts them all back in their places. Side effects others can
 * see: while the snapshot is taken the messages are briefly unavailable to consumers, and
 * afterwards the broker flags them redelivered. A snapshot holds at most {@value #MAX_SNAPSHOT}
 * messages.
 */
public class WarrenQueueBrowser implements QueueBrowser {
  static final int MAX_SNAPSHOT = 10_000;
  private final WarrenSession session;
  private final WarrenQueue queue;
  private final MessageSelector selector;
  private volatile boolean closed;

  WarrenQueueBrowser(WarrenSession session, WarrenQueue queue, MessageSelector selector) {
    this.session = session;
    this.queue = queue;
    this.selector = selector;
  }

  private void checkOpen() throws IllegalStateException {
    if (closed) {
      throw JmsErrors.closed("browser");
    }
    session.checkOpen();
  }

  @Override
  public Queue getQueue() throws JMSException {
    checkOpen();
    return queue;
  }

  @Override
  public String getMessageSelector() throws JMSException {
    checkOpen();
    return selector == null ? null : selector.text();
  }

  @Override
  public Enumeration<?> getEnumeration() throws JMSException {
    checkOpen();
    List<Message> snapshot = new ArrayList<>();
    LinkSession channel;
    try {
      channel = session.connection.link().openSession();
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot browse " + queue, e);
    }
    try {
      LinkDelivery d;
      while (snapshot.size() < MAX_SNAPSHOT && (d = channel.get(queue.getQueueName())) != null) {
        WarrenMessage m = MessageCodec.fromAmqp(d, session.connection.trustedPackages());
        m.markReceived(null);
        boolean due = m.getJMSDeliveryTime() <= System.currentTimeMillis();
        if (due && (selector == null || selector.matches(m))) {
          snapshot.add(m);
        }
      }
    } catch (LinkException e) {
      throw JmsErrors.jms("cannot browse " + queue, e);
    } finally {
      channel.close();
    }
    return Collections.enumeration(snapshot);
  }

  @Override
  public void close() {
    closed = true;
    session.browserClosed(this);
  }
}
