package dev.driftguard.model;

import java.time.Duration;
import java.time.Instant;

/**
 * How a target group health-checks its targets ({@code HealthCheckIntervalSeconds} and {@code
 * HealthyThresholdCount}): what bounds how soon a target registered at some instant can truly be
 * {@code healthy}. ELBv2's reads lag its writes, so a {@code healthy} read sooner than that is the
 * answer from before this host left service, and trusting it hands the host's turn on while its
 * target is still {@code initial} (docs/design/fleet-at-scale.md, rule 3).
 *
 * @param interval the time between two checks of one target; zero for a group that calls a target
 *     healthy at registration (the in-memory fakes)
 * @param healthyThreshold consecutive passing checks that make a target healthy
 */
public record TargetHealthCheck(Duration interval, int healthyThreshold) {

  /** A group that calls a target healthy as it registers: no wait, nothing to ignore. */
  public static final TargetHealthCheck IMMEDIATE = new TargetHealthCheck(Duration.ZERO, 1);

  public TargetHealthCheck {
    if (interval == null || interval.isNegative()) {
      throw new InvalidValueException("health check interval must be zero or more");
    }
    if (healthyThreshold < 1) {
      throw new InvalidValueException(
          "healthy threshold must be at least 1, was " + healthyThreshold);
    }
  }

  /**
   * From when a {@code healthy} read of a target registered at {@code registeredAt} can be its own:
   * {@code healthyThreshold} intervals after it. The group's first check comes within one interval
   * and the last needed one {@code healthyThreshold - 1} after that, so this is one interval past
   * the soonest true {@code healthy}: the margin a lagged read falls into.
   */
  public Instant trustHealthyFrom(Instant registeredAt) {
    return registeredAt.plus(interval.multipliedBy(healthyThreshold));
  }

  /**
   * When reading a target registered at {@code registeredAt} is first worth a call: one interval
   * after {@link #trustHealthyFrom}, when a target that passes its checks is healthy and the answer
   * has had an interval to propagate, so the first {@code DescribeTargetHealth} is usually the
   * last.
   */
  public Instant firstRead(Instant registeredAt) {
    return trustHealthyFrom(registeredAt).plus(interval);
  }
}
