package io.warrenmq.jms.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import jakarta.jms.CompletionListener;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Asynchronous send: the CompletionListener hears the broker's publisher confirm. */
class AsyncSendIT extends JmsTestSupport {

  private static CompletionListener into(BlockingQueue<Object> done) {
    return new CompletionListener() {
      @Override
      public void onCompletion(Message message) {
        done.add(message);
      }

      @Override
      public void onException(Message message, Exception exception) {
        done.add(exception);
      }
    };
  }

  @Test
  void everyAsyncSendCompletesInSendOrder() throws Exception {
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue queue = session.createQueue(unique("async"));
    MessageProducer producer = session.createProducer(queue);
    BlockingQueue<Object> done = new ArrayBlockingQueue<>(100);
    List<Message> sent = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      TextMessage m = session.createTextMessage("m" + i);
      sent.add(m);
      producer.send(m, into(done));
    }
    for (Message m : sent) {
      assertSame(m, done.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    }
    var consumer = session.createConsumer(queue);
    for (int i = 0; i < 20; i++) {
      assertEquals("m" + i, ((TextMessage) consumer.receive(WAIT_MILLIS)).getText());
    }
  }

  @Test
  void anAsyncSendInATransactedSessionCompletesToo() throws Exception {
    Session session = connection().createSession(true, Session.SESSION_TRANSACTED);
    Queue queue = session.createQueue(unique("async-tx"));
    BlockingQueue<Object> done = new ArrayBlockingQueue<>(1);
    TextMessage m = session.createTextMessage("tx");
    session.createProducer(queue).send(m, into(done));
    assertSame(m, done.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
    session.commit();
    assertNotNull(session.createConsumer(queue).receive(WAIT_MILLIS));
  }

  @Test
  void closingTheSessionWaitsForOutstandingCompletions() throws Exception {
    Session session = connection().createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageProducer producer = session.createProducer(session.createQueue(unique("async-close")));
    BlockingQueue<Object> done = new ArrayBlockingQueue<>(100);
    for (int i = 0; i < 50; i++) {
      producer.send(session.createTextMessage("x"), into(done));
    }
    session.close();
    assertEquals(50, done.size());
  }
}
