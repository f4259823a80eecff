package io.warrenmq.broker.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.warrenmq.broker.protocol.AmqpException;
import io.warrenmq.broker.protocol.AmqpMethod;
import io.warrenmq.broker.protocol.ReplyCode;

/**
 * Collects a content-bearing method's header and body frames (AMQP 0-9-1 §4.2.6) into one message,
 * without copying: the body is the frame payload itself, or a composite of several.
 *
 * <p>Frames out of order are connection errors (505 UNEXPECTED_FRAME), as RabbitMQ treats them.
 */
final class ContentAssembler {

  /** A complete content: the method, its encoded properties and body. The caller owns both. */
  record Content(AmqpMethod method, ByteBuf properties, ByteBuf body) {}

  private static final int BASIC_CLASS_ID = 60;

  private final int maxMessageSize;
  private AmqpMethod method;
  private ByteBuf properties;
  private ByteBuf body;
  private long expected;

  ContentAssembler(int maxMessageSize) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Whether a method is waiting for its content. */
  boolean inProgress() {
    return method != null;
  }

  void start(AmqpMethod contentMethod) {
    method = contentMethod;
  }

  /**
   * Takes a content header frame's payload.
   *
   * @return the content when the body is empty, else null
   */
  Content header(ByteBuf payload) throws AmqpException {
    if (method == null) {
      throw expectedMethod();
    }
    if (properties != null) {
      throw expectedBody();
    }
    int classId = payload.readUnsignedShort();
    int weight = payload.readUnsignedShort(); // must be zero (AMQP 0-9-1 §4.2.6.1)
    expected = payload.readLong();
    if (weight != 0) {
      throw expectedHeader();
    }
    if (classId != BASIC_CLASS_ID) {
      throw AmqpException.connection(
              ReplyCode.UNEXPECTED_FRAME,
              "expected content header for class %d, got one for class %d instead",
              BASIC_CLASS_ID,
              classId)
          .causedBy(method);
    }
    if (expected < 0 || expected > maxMessageSize) {
      AmqpMethod m = method;
      reset();
      throw AmqpException.of(
              ReplyCode.PRECONDITION_FAILED,
              "message size %d is larger than configured max size %d",
              expected,
              maxMessageSize)
          .causedBy(m);
    }
    properties = payload.retainedSlice();
    return expected == 0 ? finish(payload.alloc().buffer(0)) : null;
  }

  /**
   * Takes a body frame's payload.
   *
   * @return the content when the body is complete, else null
   */
  Content body(ByteBuf payload, ByteBufAllocator alloc) throws AmqpException {
    if (method == null) {
      throw expectedMethod();
    }
    if (properties == null) {
      throw expectedHeader();
    }
    int length = payload.readableBytes();
    long have = body == null ? 0 : body.readableBytes();
    if (have + length > expected) {
      throw AmqpException.connection(
              ReplyCode.FRAME_ERROR, "content body frame exceeds remaining content size")
          .causedBy(method);
    }
    if (body == null) {
      body = payload.retainedSlice();
    } else {
      CompositeByteBuf composite;
      if (body instanceof CompositeByteBuf c) {
        composite = c;
      } else {
        composite = alloc.compositeBuffer(Integer.MAX_VALUE);
        composite.addComponent(true, body);
        body = composite;
      }
      composite.addComponent(true, payload.retainedSlice());
    }
    return body.readableBytes() == expected ? finish(body) : null;
  }

  private Content finish(ByteBuf completeBody) {
    Content c = new Content(method, properties, completeBody);
    method = null;
    properties = null;
    body = null;
    return c;
  }

  /** Drops what was collected. */
  void reset() {
    method = null;
    if (properties != null) {
      properties.release();
      properties = null;
    }
    if (body != null) {
      body.release();
      body = null;
    }
  }

  /** A method frame arrived while this content is incomplete. */
  AmqpException unexpectedMethod() {
    return properties == null ? expectedHeader() : expectedBody();
  }

  // The texts are RabbitMQ's (rabbit_command_assembler), naming the method whose content is due.

  private static AmqpException expectedMethod() {
    return AmqpException.connection(
        ReplyCode.UNEXPECTED_FRAME, "expected method frame, got non method frame instead");
  }

  private AmqpException expectedHeader() {
    return AmqpException.connection(
            ReplyCode.UNEXPECTED_FRAME,
            "expected content header for class %d, got non content header frame instead",
            BASIC_CLASS_ID)
        .causedBy(method);
  }

  private AmqpException expectedBody() {
    return AmqpException.connection(
            ReplyCode.UNEXPECTED_FRAME, "expected content body, got non content body frame instead")
        .causedBy(method);
  }
}
