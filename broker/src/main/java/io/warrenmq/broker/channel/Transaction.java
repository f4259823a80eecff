package io.warrenmq.broker.channel;

import io.warrenmq.broker.channel.Unacked.Delivery;
import io.warrenmq.broker.exchange.Destination;
import io.warrenmq.broker.message.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * What a transactional channel holds until tx.commit (AMQP 0-9-1 §1.9): publishes, which are routed
 * only at commit — as in RabbitMQ, a mandatory publish whose queue went away meanwhile is returned
 * — and acknowledgements, which a rollback gives back to the channel as unacked.
 */
final class Transaction {

  record Publish(Message message, List<Destination> queues, boolean mandatory) {}

  record Settle(List<Delivery> deliveries, boolean ack, boolean requeue) {}

  private final List<Publish> publishes = new ArrayList<>();
  private final List<Settle> settles = new ArrayList<>();

  /** Holds a routed message (the transaction now owns a reference to it). */
  void publish(Message message, List<Destination> queues, boolean mandatory) {
    publishes.add(new Publish(message, List.copyOf(queues), mandatory));
  }

  void settle(List<Delivery> deliveries, boolean ack, boolean requeue) {
    settles.add(new Settle(deliveries, ack, requeue));
  }

  /** Takes the held publishes, which the caller must release. */
  List<Publish> takePublishes() {
    List<Publish> taken = new ArrayList<>(publishes);
    publishes.clear();
    return taken;
  }

  List<Settle> takeSettles() {
    List<Settle> taken = new ArrayList<>(settles);
    settles.clear();
    return taken;
  }

  /** Rollback: drops the publishes and returns the settled deliveries, to be unacked again. */
  List<Delivery> discard() {
    for (Publish p : publishes) {
      p.message().release();
    }
    publishes.clear();
    List<Delivery> back = new ArrayList<>();
    for (Settle s : settles) {
      back.addAll(s.deliveries());
    }
    settles.clear();
    return back;
  }
}
