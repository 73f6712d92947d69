package dev.driftguard.metrics;

import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TrafficSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

  /**
   * The longest call a healthy pass makes without ticking, besides the configured waits: an image
   * pull, which the Docker adapter gives up after 15 minutes.
   */
  static final Duration LONGEST_FIXED_CALL = Duration.ofMinutes(15);

  /** Added to the longest call, so a call that ends right at its bound is not taken for a hang. */
  static final Duration MARGIN = Duration.ofMinutes(5);

  private final Supplier<Instant> lastTick;
  private final Duration allowance;
  private final String allowanceName;
  private final Clock clock;
  private final Instant startedAt;

  /**
   * @param lastTick when the loop last ticked ({@code ReconcileLoop#lastTick}: a pass started or
   *     ended, or a wait began or ended), null before the first
   */
  public LoopHealth(Supplier<Instant> lastTick, Duration pollInterval, Clock clock) {
    this(
        lastTick,
        pollInterval.multipliedBy(ALLOWED_INTERVALS),
        ALLOWED_INTERVALS + " poll intervals",
        clock);
  }

  private LoopHealth(
      Supplier<Instant> lastTick, Duration allowance, String allowanceName, Clock clock) {
    this.lastTick = lastTick;
    this.allowance = allowance;
    this.allowanceName = allowanceName;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  /**
   * The check behind systemd's watchdog: alive while the loop ticked within {@link
   * #stallAllowance}. Wider than {@code /healthz}, because a restart in the middle of a long but
   * bounded call (an image pull, a drain) would only start that call again.
   */
  public static LoopHealth forWatchdog(
      Supplier<Instant> lastTick, Duration pollInterval, List<ServiceSpec> services, Clock clock) {
    return new LoopHealth(
        lastTick, stallAllowance(pollInterval, services), "the stall allowance", clock);
  }

  /**
   * How long a loop that works may go without a tick: its longest single call (an image pull; for
   * services behind a load balancer also the drain and the wait for a healthy target, both bounded
   * by the configuration), or three poll intervals if longer, plus {@link #MARGIN}.
   */
  public static Duration stallAllowance(Duration pollInterval, List<ServiceSpec> services) {
    Duration longest = max(pollInterval.multipliedBy(ALLOWED_INTERVALS), LONGEST_FIXED_CALL);
    for (ServiceSpec service : services) {
      if (service.hasLoadBalancer()) {
        TrafficSpec traffic = service.traffic();
        Duration drain =
            traffic.drainTimeout() != null ? traffic.drainTimeout() : traffic.drainTimeoutCap();
        longest = max(longest, max(drain, traffic.healthyDeadline()));
      }
    }
    return longest.plus(MARGIN);
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
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
              + allowanceName
              + " ("
              + allowance.toSeconds()
              + "s)");
    }
    return new Report(true, "ok: last reconcile pass finished " + ago + "s ago");
  }

  /** The check's result: {@code detail} is the one-line body of {@code /healthz}. */
  public record Report(boolean healthy, String detail) {}
}
