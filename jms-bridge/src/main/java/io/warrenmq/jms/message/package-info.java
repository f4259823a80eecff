/**
 * The five JMS message types and plain {@link jakarta.jms.Message}, with the spec's property type
 * conversions ({@link io.warrenmq.jms.message.TypedValues}) and the mapping to and from AMQP
 * messages ({@link io.warrenmq.jms.message.MessageCodec}, written down in docs/jms-mapping.md).
 */
package io.warrenmq.jms.message;
