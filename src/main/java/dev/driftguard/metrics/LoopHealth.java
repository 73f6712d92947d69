package dev.driftguard.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The answer of {@code /healthz}: healthy while the reconcile loop finished a pass within three
 * poll intervals. Three, so that one slow pass or a jittered sleep does not flap the check, while a
 * loop that is stuck (a hung engine call, a dead thread) shows within a minute at the default 15 s
 * interval. Before the first pass the same allowance runs from start-up.
 */
public final class LoopHealth {
  /** How many poll intervals may pass without a finished pass. */
  static final int ALLOWED_INTERVALS = 3;

  private final Supplier<Instant> lastTick;
  private final Duration allowance;
  private final Clock clock;
  private final Instant startedAt;

  /**
   * @param lastTick when the loop last ticked ({@code ReconcileLoop#lastTick}: a pass started or
   *     ended, or a wait began or ended), null
   *     before the first
   */
  public LoopHealth(Supplier<Instant> lastTick, Duration pollInterval, Clock clock) {
    this.lastTick = lastTick;
    this.allowance = pollInterval.multipliedBy(ALLOWED_INTERVALS);
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  /** Whether the loop is alive, and one line saying why. */
  public Report check() {
    Instant now = clock.instant();
    Instant tick = lastTick.get();
    if (tick == null) {
      long since = Duration.between(startedAt, now).toSeconds();
      boolean starting = !now.isAfter(startedAt.plus(allowance));
      return new Report(
          starting,
          starting
              ? "starting: no reconcile pass finished yet (" + since + "s since start)"
              : "no reconcile pass finished in the "
                  + since
                  + "s since start (allowed "
                  + allowance.toSeconds()
                  + "s)");
    }
    long ago = Duration.between(tick, now).toSeconds();
    if (now.isAfter(tick.plus(allowance))) {
      return new Report(
          false,
          "last reconcile pass finished "
              + ago
              + "s ago, more than "
              + ALLOWED_INTERVALS
              + " poll intervals ("
              + allowance.toSeconds()
              + "s)");
    }
    return new Report(true, "ok: last reconcile pass finished " + ago + "s ago");
  }

  /** The check's result: {@code detail} is the one-line body of {@code /healthz}. */
  public record Report(boolean healthy, String detail) {}
}
