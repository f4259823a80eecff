package io.warrenmq.broker.channel;

import io.warrenmq.broker.queue.Queue;
import io.warrenmq.broker.vhost.VirtualHost;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The exclusive queues a connection declared: they live as long as it does and go when it closes,
 * whether it is an AMQP connection or a direct (in-VM) one.
 */
public final class ExclusiveQueues {

  private final List<Queue> queues = new CopyOnWriteArrayList<>();

  void declared(Queue queue) {
    queues.add(queue);
  }

  void deleted(Queue queue) {
    queues.remove(queue);
  }

  /** The owner is gone: deletes every queue it still owns. */
  public void deleteAll(VirtualHost vhost) {
    for (Queue q : queues) {
      vhost.deleteQueue(q);
    }
    queues.clear();
  }
}
