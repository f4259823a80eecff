package io.warrenmq.broker.vhost;

/** A connection that may own exclusive queues, known across the cluster by its id. */
public interface QueueOwner {

  /** This connection's id, unique across the cluster and over time. */
  String ownerId();

  /** A new id, for a connection to hold as its own. */
  static String newId() {
    return java.util.UUID.randomUUID().toString();
  }
}
