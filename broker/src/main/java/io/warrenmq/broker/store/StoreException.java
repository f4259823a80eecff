package io.warrenmq.broker.store;

/** The store cannot be opened or used; the message names the file and what is wrong. */
public final class StoreException extends RuntimeException {

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
