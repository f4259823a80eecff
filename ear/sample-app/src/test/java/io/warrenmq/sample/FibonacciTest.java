package io.warrenmq.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FibonacciTest {
  @Test
  void firstNumbersFollowTheTutorial() {
    long[] expected = {0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55};
    for (int n = 0; n < expected.length; n++) {
      assertEquals(expected[n], Fibonacci.fib(n));
    }
    assertEquals(12_586_269_025L, Fibonacci.fib(50));
  }

  @Test
  void negativeNIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Fibonacci.fib(-1));
  }
}
