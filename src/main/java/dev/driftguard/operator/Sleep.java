package dev.driftguard.operator;

import java.time.Duration;

/**
 * Waits between reads of {@code rollout-status --wait}. Injected with the {@link java.time.Clock}
 * so tests follow a fifteen-minute rollout in virtual time.
 */
@FunctionalInterface
interface Sleep {

  void sleep(Duration duration) throws InterruptedException;

  static Sleep system() {
    return duration -> Thread.sleep(Math.max(0, duration.toMillis()));
  }
}
