package dev.driftguard.reconcile;

import java.time.Duration;

/**
 * How the deploy paces its polls and retries. Every wait is a poll the loop comes back to, so these
 * are also what the loop's tick cadence is made of.
 *
 * @param gatePoll how often the target group is re-read while waiting for a turn (jittered)
 * @param gateTimeout how long a deploy waits for a turn before it gives up (a fault: retried later)
 * @param leaseTtl how long a turn lease lasts without renewal: a host that dies out of service
 *     blocks its slot this long (plus the clock skew allowance); it is renewed when half is left
 * @param targetPoll how often this host's target state is read while it drains or registers
 * @param unhealthyGrace how long a registered target may stay unhealthy or unknown to its group
 *     before the registration counts as failed: long enough for ELBv2's eventual consistency and a
 *     flickering check, short against the minutes a target that cannot pass would waste
 * @param faultBackoff the first wait before a deploy that failed on a fault is tried again; it
 *     doubles with each fault in a row (jittered), up to {@code maxFaultBackoff}
 * @param maxFaultBackoff the longest wait between retries after faults
 * @param inServiceCheck how often an in-sync host checks that its target is still registered (a
 *     deregistration by hand): rare, so a fleet in sync stays far inside the ELBv2 API budget
 * @param terminationCheck how often the instance's termination notice is read (IMDS, on the host)
 * @param turnSpacing the least time between two starts of turns in one target group's pool,
 *     fleet-wide: each turn makes two of ELBv2's registration calls (DeregisterTargets then
 *     RegisterTargets), which take from one bucket of the account. A slot given back rests until
 *     {@code slots × turnSpacing} after it was taken, so a pool starts at most one turn per spacing
 *     on average, whatever a turn lasts ({@link #forRegistrationBudget})
 */
public record DeployTiming(
    Duration gatePoll,
    Duration gateTimeout,
    Duration leaseTtl,
    Duration targetPoll,
    Duration unhealthyGrace,
    Duration faultBackoff,
    Duration maxFaultBackoff,
    Duration inServiceCheck,
    Duration terminationCheck,
    Duration turnSpacing) {

  /**
   * Calls per second of ELBv2's shared RegisterTargets and DeregisterTargets bucket (refill 4/s) a
   * rollout's turns may use: 75 %, leaving the rest to hosts joining, hosts going away and other
   * callers of the account. The agent sets it from {@code agent.fleet.elbRegistrationsPerSecond},
   * whose default is the same.
   */
  static final int DEFAULT_ELB_REGISTRATIONS_PER_SECOND = 3;

  public DeployTiming {
    if (turnSpacing.isNegative()) {
      throw new IllegalArgumentException("turnSpacing must be >= 0, got " + turnSpacing);
    }
  }

  public static DeployTiming defaults() {
    return new DeployTiming(
        Duration.ofSeconds(5),
        Duration.ofMinutes(30),
        Duration.ofMinutes(2),
        Duration.ofSeconds(2),
        Duration.ofSeconds(30),
        Duration.ofSeconds(15),
        Duration.ofMinutes(10),
        Duration.ofMinutes(15),
        Duration.ofSeconds(5),
        spacingFor(DEFAULT_ELB_REGISTRATIONS_PER_SECOND));
  }

  /**
   * The targets a registration call is assumed to carry when hosts batch their calls through the
   * lease table ({@link TargetCalls}): a rollout's turns may start this many times as often for the
   * same budget. The simulator measured 4.7 targets a call at 2,000 hosts (2.6 under stress, where
   * hosts joining and going away call alone); should batches come out smaller, the bucket
   * throttles, and throttled calls are tried again in place.
   */
  static final int BATCHED_TARGETS_PER_CALL = 4;

  /**
   * These timings with turns spaced so that a pool's two registration calls a turn keep to {@code
   * callsPerSecond} on average.
   */
  public DeployTiming forRegistrationBudget(double callsPerSecond) {
    return forRegistrationBudget(callsPerSecond, false);
  }

  /**
   * As {@link #forRegistrationBudget(double)}; when {@code batched} (the lease table {@linkplain
   * dev.driftguard.fleet.TurnLease#sharesIntents shares intents}), a call is counted for {@link
   * #BATCHED_TARGETS_PER_CALL} turns.
   */
  public DeployTiming forRegistrationBudget(double callsPerSecond, boolean batched) {
    return with(
        gatePoll,
        gateTimeout,
        spacingFor(callsPerSecond * (batched ? BATCHED_TARGETS_PER_CALL : 1)));
  }

  /** How long a turn's slot rests after it was taken, in a pool of {@code slots}. */
  public Duration turnCycle(int slots) {
    return turnSpacing.multipliedBy(Math.max(1, slots));
  }

  private static Duration spacingFor(double callsPerSecond) {
    if (!(callsPerSecond > 0)) {
      throw new IllegalArgumentException("callsPerSecond must be > 0, got " + callsPerSecond);
    }
    return Duration.ofNanos(Math.round(2 * 1e9 / callsPerSecond));
  }

  /** These timings with another gate pacing (tests and the fleet simulation). */
  public DeployTiming withGate(Duration poll, Duration timeout) {
    return with(poll, timeout, turnSpacing);
  }

  private DeployTiming with(Duration poll, Duration timeout, Duration spacing) {
    return new DeployTiming(
        poll,
        timeout,
        leaseTtl,
        targetPoll,
        unhealthyGrace,
        faultBackoff,
        maxFaultBackoff,
        inServiceCheck,
        terminationCheck,
        spacing);
  }
}
