package dev.driftguard.testing.aws;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for the tests of states that real health checks change. */
public final class Await {
  private Await() {}

  /** Polls every 20 ms until {@code condition} holds; false when {@code timeout} passes first. */
  public static boolean until(Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }
}
