/**
 * Messages: the envelope (exchange, routing key), the properties and a reference-counted body that
 * is shared, never copied, between the queues and consumers that hold it; and the account of how
 * much memory they hold.
 */
package io.warrenmq.broker.message;
