package dev.driftguard.reconcile;

import java.time.Duration;

/**
 * Waits. Injected with the {@link java.time.Clock} so the deploy state machine and whole fleet
 * simulations run in virtual time in tests; production uses {@link #system()}.
 */
@FunctionalInterface
public interface Sleeper {

  void sleep(Duration duration) throws InterruptedException;

  static Sleeper system() {
    return duration -> Thread.sleep(Math.max(0, duration.toMillis()));
  }
}
