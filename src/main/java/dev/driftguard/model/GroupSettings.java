package dev.driftguard.model;

import java.time.Duration;
import java.util.Objects;

/**
 * What a deploy needs to know of its target group beyond its targets: the deregistration delay
 * (when a drain is over) and the health-check timing (how soon a registered target can truly be
 * healthy). The same for every host of the group, so one host reads them from ELBv2 and shares them
 * through the lease table: read per host, they were the largest share of the account's Describe*
 * bucket at 2,000 hosts (docs/design/fleet-at-scale.md).
 *
 * @param deregistrationDelay {@code deregistration_delay.timeout_seconds}
 * @param healthCheck the group's health-check interval and healthy threshold
 */
public record GroupSettings(Duration deregistrationDelay, TargetHealthCheck healthCheck) {
  public GroupSettings {
    Objects.requireNonNull(healthCheck, "healthCheck");
    if (deregistrationDelay == null || deregistrationDelay.isNegative()) {
      throw new InvalidValueException("deregistration delay must be zero or more");
    }
  }
}
