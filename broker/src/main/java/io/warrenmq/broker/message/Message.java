package io.warrenmq.broker.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.AbstractReferenceCounted;
import io.warrenmq.broker.protocol.BasicProperties;
import java.util.List;

/**
 * A published message: where it was published, its properties and its body.
 *
 * <p>The body is the publisher's own buffer (a slice of what was read from the socket, or what an
 * in-VM client handed over), never copied. A message is reference counted: each queue that holds it
 * retains it once, and the body is released when the last queue lets go.
 *
 * <p>Properties are kept in both forms on demand: the encoded form arrives from the wire and goes
 * back out unchanged; the decoded form is built only when routing or a feature needs a property.
 */
public final class Message extends AbstractReferenceCounted {

  private final String exchange;
  private final String routingKey;
  private final ByteBuf body;
  private final MemoryAccount account;
  private final long footprint;
  private final boolean received;

  private volatile BasicProperties properties;
  private volatile long storeId;
  private volatile Settlement settlement;
  private volatile ByteBuf encodedProperties;

  /** The CC and BCC header types the publish checks found, as {@link EncodedProperties#scan}. */
  private int routingHeaders;

  private volatile List<String> senderSelectedKeys;

  private Message(
      String exchange,
      String routingKey,
      BasicProperties properties,
      ByteBuf encodedProperties,
      ByteBuf body,
      MemoryAccount account) {
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.properties = properties;
    this.encodedProperties = encodedProperties;
    this.body = body;
    this.account = account;
    this.received = properties == null;
    this.footprint =
        body.readableBytes()
            + (encodedProperties == null ? 64 : encodedProperties.readableBytes())
            + 128L;
    account.add(footprint);
  }

  /**
   * A message read from the wire. Takes ownership of both buffers.
   *
   * @param encodedProperties the content header's property flags and list
   */
  public static Message fromWire(
      String exchange,
      String routingKey,
      ByteBuf encodedProperties,
      ByteBuf body,
      MemoryAccount account) {
    return new Message(exchange, routingKey, null, encodedProperties, body, account);
  }

  /** A message built in the JVM. Takes ownership of {@code body}. */
  public static Message of(
      String exchange,
      String routingKey,
      BasicProperties properties,
      ByteBuf body,
      MemoryAccount account) {
    return new Message(exchange, routingKey, properties, null, body, account);
  }

  public String exchange() {
    return exchange;
  }

  public String routingKey() {
    return routingKey;
  }

  /**
   * The routing keys the publisher selected besides {@link #routingKey} — its {@code CC} and {@code
   * BCC} headers' (see {@link SenderSelected}) — or null when there are none. Routing uses each.
   */
  public List<String> senderSelectedKeys() {
    return senderSelectedKeys;
  }

  /** Sets the further routing keys; before the message is routed. */
  public void senderSelectedKeys(List<String> keys) {
    senderSelectedKeys = keys == null || keys.isEmpty() ? null : List.copyOf(keys);
  }

  /** The body; callers that keep or send it take a retained slice. */
  public ByteBuf body() {
    return body;
  }

  public int bodySize() {
    return body.readableBytes();
  }

  /** The decoded properties. */
  public BasicProperties properties() {
    BasicProperties p = properties;
    if (p == null) {
      ByteBuf encoded = encodedProperties;
      p = BasicProperties.decode(encoded.duplicate());
      properties = p;
    }
    return p;
  }

  /**
   * Whether the message may carry any of the properties whose flag bits (AMQP 0-9-1 §4.2.6.1) are
   * in {@code propertyFlags}: false only when its encoded flags say it carries none of them, so
   * that a caller can skip decoding. Decoded properties are looked at directly, as cheaply.
   */
  public boolean mayHave(int propertyFlags) {
    if (properties != null) {
      return true;
    }
    ByteBuf e = encodedProperties;
    return e.readableBytes() < 2 || (e.getUnsignedShort(e.readerIndex()) & propertyFlags) != 0;
  }

  /** The encoded property flags and list, as they go on the wire. Not to be released. */
  public ByteBuf encodedProperties() {
    ByteBuf e = encodedProperties;
    if (e == null) {
      synchronized (this) {
        e = encodedProperties;
        if (e == null) {
          e = Unpooled.buffer(64);
          properties.encode(e);
          encodedProperties = e;
        }
      }
    }
    return e;
  }

  /**
   * Whether the publisher asked for the message to survive a restart (delivery mode 2). Reads the
   * encoded properties when they have not been decoded, skipping the three fields before it.
   */
  public boolean persistent() {
    BasicProperties p = properties;
    if (p != null) {
      return p.deliveryMode() != null && p.deliveryMode() == 2;
    }
    ByteBuf e = encodedProperties;
    int at = EncodedProperties.offset(e, EncodedProperties.DELIVERY_MODE);
    return at >= 0 && e.getUnsignedByte(at) == 2;
  }

  /**
   * The message's priority property (0 to 255), 0 when it has none. Reads the encoded property in
   * place when the properties have not been decoded.
   */
  public int priority() {
    BasicProperties p = properties;
    if (p != null) {
      return p.priority() == null ? 0 : p.priority();
    }
    ByteBuf e = encodedProperties;
    if (e.readableBytes() < 2) {
      return 0;
    }
    int at = EncodedProperties.offset(e, EncodedProperties.PRIORITY);
    return at < 0 ? 0 : e.getUnsignedByte(at);
  }

  /**
   * The message's own time to live in milliseconds (its {@code expiration} property, as RabbitMQ
   * reads it), or -1 when it has none or it is not one RabbitMQ accepts. Reads the encoded property
   * in place when the properties have not been decoded.
   */
  public long expirationMillis() {
    BasicProperties p = properties;
    if (p != null) {
      return p.expiration() == null ? -1 : Expiration.millis(p.expiration());
    }
    ByteBuf e = encodedProperties;
    if (e.readableBytes() < 2) {
      return -1;
    }
    int at = EncodedProperties.offset(e, EncodedProperties.EXPIRATION);
    return at < 0 ? -1 : Expiration.millis(e, at + 1, e.getUnsignedByte(at));
  }

  /**
   * Whether this message came with encoded properties (read from the wire, or from the store) that
   * nothing here has checked, rather than built in the JVM.
   */
  boolean received() {
    return received;
  }

  void routingHeaders(int found) {
    routingHeaders = found;
  }

  int routingHeaders() {
    return routingHeaders;
  }

  /** The decoded properties if something decoded or built them already, else null. */
  BasicProperties decodedOrNull() {
    return properties;
  }

  /** The id under which the durable store keeps this message, 0 when it is not stored. */
  public long storeId() {
    return storeId;
  }

  public void storeId(long id) {
    storeId = id;
  }

  /**
   * Told when a queue that took a message lets go of it because a consumer acknowledged it (or
   * rejected it without requeue). The publisher's channel uses it to confirm a persistent message
   * that every queue has already settled without waiting for the disk, as RabbitMQ does.
   */
  public interface Settlement {
    void settledByQueue();
  }

  /** Watches this message's settlements; set before the message is enqueued anywhere. */
  public void watchSettlement(Settlement s) {
    settlement = s;
  }

  /** A queue settled this message (see {@link Settlement}). */
  public void settledByQueue() {
    Settlement s = settlement;
    if (s != null) {
      s.settledByQueue();
    }
  }

  /** This message sent on again (dead-lettered): another envelope and properties, the same body. */
  public Message republish(String exchange, String routingKey, BasicProperties newProperties) {
    return new Message(exchange, routingKey, newProperties, null, body.retain(), account);
  }

  /** A copy of this message's envelope with other properties, sharing the body. */
  public Message withProperties(BasicProperties newProperties) {
    return new Message(exchange, routingKey, newProperties, null, body.retain(), account);
  }

  @Override
  protected void deallocate() {
    account.add(-footprint);
    body.release();
    ByteBuf e = encodedProperties;
    if (e != null) {
      e.release();
    }
  }

  @Override
  public Message touch(Object hint) {
    body.touch(hint);
    return this;
  }
}
