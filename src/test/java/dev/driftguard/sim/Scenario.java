package dev.driftguard.sim;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * One simulated rollout: the fleet, the target group's settings, AWS's consistency delays, the
 * hosts' clock skew and the events during the rollout. {@link #named} gives the scenarios.
 *
 * @param lagMillis reads of tags, target health and parameters lag writes by up to this
 * @param skewMillis each host's clock is off by up to ± this
 * @param scaleOut hosts the ASG adds during the rollout, as a share of {@code hosts}
 * @param deaths hosts that die mid-rollout (replaced by the ASG), as a share
 * @param spotNotices hosts that get a spot interruption notice mid-rollout, as a share
 * @param agentRestarts hosts whose agent restarts mid-rollout, as a share
 */
public record Scenario(
    String name,
    int hosts,
    int maxUnavailablePercent,
    boolean badDigest,
    long lagMillis,
    long skewMillis,
    double scaleOut,
    double deaths,
    double spotNotices,
    double agentRestarts,
    Duration pollInterval,
    Duration healthCheckInterval,
    int healthyThreshold,
    int unhealthyThreshold,
    Duration deregistrationDelay,
    Duration pinAt,
    Duration limit) {

  /** The scenarios of issue 10. */
  public static final List<String> NAMES = List.of("good", "bad", "scale-out", "deaths", "stress");

  /**
   * How long after the pin every surviving host must have converged: 40 minutes, or for a large
   * fleet 0.9 s a host. Each host deregisters and registers once, against one account-wide bucket
   * of 4 calls a second, so N hosts need N / 2 s of it at its full refill (2,500 s at 5,000 hosts,
   * past 40 minutes); 0.9 s a host leaves them 1.8 times that.
   */
  static Duration convergenceLimit(int hosts) {
    return Duration.ofSeconds(Math.max(40 * 60, hosts * 9L / 10));
  }

  public static Scenario named(String name, int hosts) {
    Scenario base =
        new Scenario(
            name,
            hosts,
            10,
            false,
            5_000,
            2_000,
            0,
            0,
            0,
            0,
            Duration.ofSeconds(15),
            Duration.ofSeconds(5),
            2,
            2,
            Duration.ofSeconds(20),
            Duration.ofSeconds(30),
            convergenceLimit(hosts));
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "good" -> base;
      case "bad" -> base.withBadDigest();
      case "scale-out" -> base.with(0.20, 0, 0, 0);
      case "deaths" -> base.with(0, 0.05, 0.01, 0.02);
      case "stress" -> base.withConsistency(30_000, 30_000).with(0.20, 0.05, 0.01, 0.02);
      default ->
          throw new IllegalArgumentException("unknown scenario " + name + "; known: " + NAMES);
    };
  }

  Scenario withBadDigest() {
    return new Scenario(
        name,
        hosts,
        maxUnavailablePercent,
        true,
        lagMillis,
        skewMillis,
        scaleOut,
        deaths,
        spotNotices,
        agentRestarts,
        pollInterval,
        healthCheckInterval,
        healthyThreshold,
        unhealthyThreshold,
        deregistrationDelay,
        pinAt,
        limit);
  }

  Scenario with(double scaleOut, double deaths, double spotNotices, double agentRestarts) {
    return new Scenario(
        name,
        hosts,
        maxUnavailablePercent,
        badDigest,
        lagMillis,
        skewMillis,
        scaleOut,
        deaths,
        spotNotices,
        agentRestarts,
        pollInterval,
        healthCheckInterval,
        healthyThreshold,
        unhealthyThreshold,
        deregistrationDelay,
        pinAt,
        limit);
  }

  /** The same scenario with other consistency delays and clock skews. */
  public Scenario withConsistency(long lagMillis, long skewMillis) {
    return new Scenario(
        name,
        hosts,
        maxUnavailablePercent,
        badDigest,
        lagMillis,
        skewMillis,
        scaleOut,
        deaths,
        spotNotices,
        agentRestarts,
        pollInterval,
        healthCheckInterval,
        healthyThreshold,
        unhealthyThreshold,
        deregistrationDelay,
        pinAt,
        limit);
  }

  /** The agents' {@code agent.fleet.maxClockSkew}: two hosts differ by up to twice the skew. */
  Duration maxClockSkew() {
    return Duration.ofMillis(2 * skewMillis);
  }
}
