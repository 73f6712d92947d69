package dev.driftguard.reconcile;

import java.time.Duration;

/**
 * How the deployer paces its waits for fleet capacity.
 *
 * @param gatePoll how often the target group is re-read while waiting for a turn (jittered)
 * @param claimSettle how long a fresh claim is left to become visible before peers' claims are
 *     read back; longer than the time EC2 tags take to show up
 * @param gateTimeout how long a deploy waits for a turn before it gives up until the next pass
 * @param claimMaxAge claims older than this are from hosts that died mid-deploy and are ignored
 */
public record DeployTiming(Duration gatePoll, Duration claimSettle, Duration gateTimeout, Duration claimMaxAge) {

  public static DeployTiming defaults() {
    return new DeployTiming(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMinutes(30), Duration.ofMinutes(30));
  }
}
