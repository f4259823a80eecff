package io.warrenmq.broker.vhost;

import io.warrenmq.broker.message.Message;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Hands messages to queues that live on other nodes of the cluster. */
public interface RemoteDelivery {

  /** What the other node did with a forwarded message. */
  enum Outcome {
    /** Its queues hold it (a persistent message in a durable queue: on disk). */
    TAKEN,
    /** A full queue refused it ({@code x-overflow=reject-publish}). */
    REJECTED,
    /** It did not get there, or the node could not keep it. */
    FAILED
  }

  /**
   * Forwards {@code message} to the queues {@code queueNames} of virtual host {@code vhost} on node
   * {@code node}, in order with what this node forwarded there before. The message is copied before
   * this returns.
   */
  CompletableFuture<Outcome> forward(
      String node, String vhost, List<String> queueNames, Message message);

  /**
   * Asks node {@code node} for a queue's message and consumer counts (renewing its {@code
   * x-expires} lease, as a passive declare does): {messages, consumers}, or an empty array when it
   * has no such queue.
   */
  CompletableFuture<int[]> counts(String node, String vhost, String queue);

  /** Asks node {@code node} to purge its queue: the number of messages purged, or its refusal. */
  CompletableFuture<Integer> purge(String node, String vhost, String queue);

  /**
   * Asks node {@code node} to delete its queue, if unused or empty when asked so: the number of
   * messages deleted, or its refusal (406 in use, not empty).
   */
  CompletableFuture<Integer> delete(
      String node, String vhost, String queue, boolean ifUnused, boolean ifEmpty);

  /**
   * basic.get from queue {@code queue} of node {@code node}: that node takes its next message and
   * holds it until the stand-in queue of the answer settles it; completes with null when the queue
   * has none, or with the node's refusal.
   */
  CompletableFuture<VirtualHost.Got> fetch(
      String node, VirtualHost vhost, String queue, boolean noAck);

  /**
   * A replicated queue has a new leader, {@code node} (this node's name when it leads it now): its
   * consumers on other nodes follow it.
   */
  void moved(VirtualHost vhost, String queue, String node);

  /**
   * A local queue a consumer takes the messages of queue {@code queue} of node {@code node} from:
   * that node consumes for it, with {@code prefetch}, and relays what it gets.
   */
  io.warrenmq.broker.queue.Queue subscribe(
      String node,
      VirtualHost vhost,
      String queue,
      int prefetch,
      boolean exclusive,
      java.util.Map<String, Object> arguments);
}
