package io.warrenmq.sample;

/**
 * fib(n) as the RabbitMQ RPC tutorial defines it, iteratively so that large n cannot overflow the
 * stack.
 */
public final class Fibonacci {
  private Fibonacci() {}

  public static long fib(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be 0 or more");
    }
    long a = 0;
    long b = 1;
    for (int i = 0; i < n; i++) {
      long next = a + b;
      a = b;
      b = next;
    }
    return a;
  }
}
