package io.warrenmq.broker.queue;

/**
 * The queue types RabbitMQ 3.10 knows ({@code x-queue-type}), named as in its argument and in its
 * error texts (the Erlang module that implements the type).
 *
 * <p>{@link #STREAM} is known so that its arguments are told apart from the others' and a stream
 * declaration is refused with a clear error rather than made a classic queue; WarrenMQ has no
 * streams.
 */
public enum QueueType {
  CLASSIC("classic", "rabbit_classic_queue"),
  QUORUM("quorum", "rabbit_quorum_queue"),
  STREAM("stream", "rabbit_stream_queue");

  private final String argument;
  private final String module;

  QueueType(String argument, String module) {
    this.argument = argument;
    this.module = module;
  }

  /** The value of {@code x-queue-type} that asks for this type. */
  public String argument() {
    return argument;
  }

  /** The name RabbitMQ's texts give the type, e.g. {@code rabbit_quorum_queue}. */
  public String module() {
    return module;
  }

  /** The type an {@code x-queue-type} value names, or null for none RabbitMQ knows. */
  public static QueueType named(String argument) {
    for (QueueType t : values()) {
      if (t.argument.equals(argument)) {
        return t;
      }
    }
    return null;
  }
}
