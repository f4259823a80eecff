package io.warrenmq.broker.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A field table's long string ({@code S}): octets, usually UTF-8 text. Kept as octets so that a
 * table that carries binary data is forwarded unchanged.
 */
public final class LongString {

  private final byte[] bytes;

  private LongString(byte[] bytes) {
    this.bytes = bytes;
  }

  public static LongString of(byte[] bytes) {
    return new LongString(bytes);
  }

  public byte[] bytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LongString other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** The octets as UTF-8 text. */
  @Override
  public String toString() {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
