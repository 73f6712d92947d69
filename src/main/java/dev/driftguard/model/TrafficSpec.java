package dev.driftguard.model;

import java.time.Duration;

/**
 * The load balancer target this service is registered as: this instance on {@code port} in {@code
 * targetGroupArn}. {@code drainTimeout} null means "auto" (the target group's deregistration delay,
 * capped by {@code drainTimeoutCap}).
 */
public record TrafficSpec(
    TargetGroupArn targetGroupArn,
    int port,
    Duration drainTimeout,
    Duration drainTimeoutCap,
    Duration healthyDeadline) {

  public TrafficSpec {
    if (targetGroupArn == null) {
      throw new InvalidValueException("targetGroupArn must be set");
    }
    if (port < 1 || port > 65535) {
      throw new InvalidValueException("traffic port must be 1..65535");
    }
    if (drainTimeoutCap == null || drainTimeoutCap.isNegative()) {
      throw new InvalidValueException("drain timeout cap must be zero or more");
    }
    if (healthyDeadline == null || healthyDeadline.isNegative() || healthyDeadline.isZero()) {
      throw new InvalidValueException("traffic healthy deadline must be more than zero");
    }
  }
}
