package io.warrenmq.broker.queue;

/** A publisher waiting for a queue's backlog to shrink before it reads more from its socket. */
public interface BackpressureListener {

  /** The queue's backlog fell below half its bound. Called once per registration, any thread. */
  void backlogDrained(Queue queue);
}
