package io.warrenmq.broker.queue;

import java.util.Map;

/**
 * What a queue's {@code x-} arguments ask of it, parsed once by {@link QueueArgument}'s table: the
 * values the queue reads, typed, with -1 (or null) where a setting is absent.
 *
 * @param messageTtl {@code x-message-ttl} in milliseconds
 * @param expires {@code x-expires}: how long the queue may go unused, in milliseconds
 * @param maxPriority {@code x-max-priority}: message priorities above it count as it; 0 when the
 *     queue does not order by priority
 * @param deliveryLimit {@code x-delivery-limit} (quorum queues): a message returned more often than
 *     this is dead-lettered or dropped; {@link Long#MAX_VALUE} when unlimited
 */
public record QueueSettings(
    QueueType type,
    long messageTtl,
    long expires,
    long maxLength,
    long maxLengthBytes,
    Overflow overflow,
    String deadLetterExchange,
    String deadLetterRoutingKey,
    int maxPriority,
    boolean singleActiveConsumer,
    long deliveryLimit) {

  /** What a queue does when a publish would take it over its length limits ({@code x-overflow}). */
  public enum Overflow {
    DROP_HEAD("drop-head"),
    REJECT_PUBLISH("reject-publish"),
    REJECT_PUBLISH_DLX("reject-publish-dlx");

    private final String argument;

    Overflow(String argument) {
      this.argument = argument;
    }

    /** The mode an {@code x-overflow} value names, or null. */
    static Overflow named(String argument) {
      for (Overflow o : values()) {
        if (o.argument.equals(argument)) {
          return o;
        }
      }
      return null;
    }
  }

  /** A classic queue with nothing set. */
  public static final QueueSettings DEFAULTS = new Builder().build();

  /**
   * The settings {@code arguments} ask for. Values that are not of their argument's type are passed
   * over: a declaration validates its arguments first ({@link QueueArgument#validate}); recovered
   * ones were validated when they were declared.
   */
  public static QueueSettings of(Map<String, Object> arguments) {
    if (arguments == null || arguments.isEmpty()) {
      return DEFAULTS;
    }
    Builder b = new Builder();
    for (Map.Entry<String, Object> e : arguments.entrySet()) {
      QueueArgument a = QueueArgument.named(e.getKey());
      if (a != null && e.getValue() != null) {
        a.apply(b, e.getValue());
      }
    }
    return b.build();
  }

  /** Whether the queue has a dead-letter exchange. */
  public boolean deadLetters() {
    return deadLetterExchange != null;
  }

  /** The settings being gathered from arguments (and, later, policies) before they are fixed. */
  static final class Builder {
    QueueType type = QueueType.CLASSIC;
    long messageTtl = -1;
    long expires = -1;
    long maxLength = -1;
    long maxLengthBytes = -1;
    Overflow overflow = Overflow.DROP_HEAD;
    String deadLetterExchange;
    String deadLetterRoutingKey;
    int maxPriority;
    boolean singleActiveConsumer;
    long deliveryLimit = Long.MAX_VALUE;

    QueueSettings build() {
      return new QueueSettings(
          type,
          messageTtl,
          expires,
          maxLength,
          maxLengthBytes,
          overflow,
          deadLetterExchange,
          deadLetterRoutingKey,
          maxPriority,
          singleActiveConsumer,
          deliveryLimit);
    }
  }
}
