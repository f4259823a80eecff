/**
 * The AMQP 0-9-1 wire format: frames, method records, content-header properties and field tables,
 * and the handler interfaces that separate decoding from semantics.
 *
 * <p>{@link io.warrenmq.broker.protocol.AmqpMethod}, {@link
 * io.warrenmq.broker.protocol.BasicProperties} and the two handler interfaces are generated from
 * RabbitMQ's protocol table by {@code ProtocolGenerator} (test sources); nothing here knows what a
 * queue is.
 */
package io.warrenmq.broker.protocol;
