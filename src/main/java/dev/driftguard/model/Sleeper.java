package dev.driftguard.model;

import java.time.Duration;

/**
 * Waits: the one seam for sleeping, used by the reconcile loop between ticks and by {@code
 * rollout-status --wait} between reads. Injected with the {@link java.time.Clock} so the loop,
 * whole fleet simulations and a fifteen-minute rollout run in virtual time in tests; production
 * uses {@link #system()}.
 */
@FunctionalInterface
public interface Sleeper {

  void sleep(Duration duration) throws InterruptedException;

  static Sleeper system() {
    return duration -> Thread.sleep(Math.max(0, duration.toMillis()));
  }
}
