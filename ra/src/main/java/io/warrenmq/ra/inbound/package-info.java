/**
 * Inbound delivery to message-driven beans: the activation spec (standard JMS activation properties
 * plus AMQP ones), and per activation one JMS connection with {@code maxSession} transacted
 * sessions, each drained by a long-running work on the container's WorkManager. A message is
 * acknowledged (the session committed) only after the endpoint's transaction commits; otherwise it
 * is rolled back to the queue and, after {@code maxRedeliveries}, moved to the dead-letter queue in
 * the same session transaction as its acknowledgement.
 */
package io.warrenmq.ra.inbound;
