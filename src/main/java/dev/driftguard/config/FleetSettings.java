package dev.driftguard.config;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * How hosts take turns ({@code agent.fleet}): the DynamoDB table that holds the turn leases and
 * run-once records (schema in docs/install.md), and the most two hosts' clocks may differ, which is
 * how long past its expiry a lease is still left to its holder.
 *
 * @param leaseTable the table's name, in the instance's region
 * @param maxClockSkew at least 0 and at most 5 minutes
 * @param ssmReadsPerSecond the share of the account's Parameter Store throughput the whole fleet's
 *     desired-state polls may use together; each host stretches its poll interval to keep to it
 * @param expectedHosts how many hosts share that budget until a host has read its target group (and
 *     always, for a host whose services have none): 1 to 100,000; empty when not written, which
 *     assumes {@link #DEFAULT_EXPECTED_HOSTS} for hosts with a target group and does not spread a
 *     worker's poll
 * @param elbRegistrationsPerSecond the ELBv2 RegisterTargets and DeregisterTargets calls per second
 *     the turns of one target group's rollout may use together (two a turn): the hosts space the
 *     starts of their turns to keep to it
 */
public record FleetSettings(
    String leaseTable,
    Duration maxClockSkew,
    double ssmReadsPerSecond,
    OptionalInt expectedHosts,
    int elbRegistrationsPerSecond) {
  /**
   * Half of Parameter Store's default 40 TPS per account and region (GetParameter, GetParameters
   * and PutParameter share it): the rest is headroom for operators, {@code driftguard pin}, secrets
   * and other tools.
   */
  public static final double DEFAULT_SSM_READS_PER_SECOND = 20;

  /** Parameter Store's higher-throughput setting allows up to 10,000 TPS. */
  static final double MAX_SSM_READS_PER_SECOND = 10_000;

  /**
   * Hosts assumed, when {@code expectedHosts} is not written, by a host with a target group it has
   * not read yet: the fleet the default budget still serves at a 100 s poll. A host reads its group
   * at start (again a minute later while that read fails) and then budgets for the group's real
   * size, so a small fleet pays this only until then; hosts that assumed one host kept Parameter
   * Store throttled at 2,000 hosts. A worker has no group to read, so without the setting its poll
   * is not spread: the worker fleet's size is the operator's to write.
   */
  public static final int DEFAULT_EXPECTED_HOSTS = 2_000;

  static final int MAX_EXPECTED_HOSTS = 100_000;

  /**
   * Three quarters of the account's bucket for both calls (4 a second, as AWS's Load Balancer
   * Controller reads ELBv2's limits): the rest serves hosts joining and leaving for good, and other
   * callers, while a large rollout runs.
   */
  public static final int DEFAULT_ELB_REGISTRATIONS_PER_SECOND = 3;

  static final int MAX_ELB_REGISTRATIONS_PER_SECOND = 1_000;

  public static final String DEFAULT_LEASE_TABLE = "driftguard-leases";

  /**
   * EC2 instances keep time through the Amazon Time Sync Service to well under a second; 10 s
   * leaves room for a host whose clock is not synced yet right after boot.
   */
  public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofSeconds(10);

  static final Duration MAX_MAX_CLOCK_SKEW = Duration.ofMinutes(5);

  /** DynamoDB's rule for table names. */
  static final Pattern TABLE_NAME = Pattern.compile("[a-zA-Z0-9_.-]{3,255}");

  public FleetSettings {
    Objects.requireNonNull(leaseTable, "leaseTable");
    Objects.requireNonNull(maxClockSkew, "maxClockSkew");
    if (!TABLE_NAME.matcher(leaseTable).matches()) {
      throw new IllegalArgumentException("not a DynamoDB table name: " + leaseTable);
    }
    if (maxClockSkew.isNegative() || maxClockSkew.compareTo(MAX_MAX_CLOCK_SKEW) > 0) {
      throw new IllegalArgumentException("maxClockSkew must be 0..5m, got " + maxClockSkew);
    }
    if (!(ssmReadsPerSecond > 0) || ssmReadsPerSecond > MAX_SSM_READS_PER_SECOND) {
      throw new IllegalArgumentException("ssmReadsPerSecond must be more than 0 and at most 10000");
    }
    Objects.requireNonNull(expectedHosts, "expectedHosts");
    if (expectedHosts.isPresent()
        && (expectedHosts.getAsInt() < 1 || expectedHosts.getAsInt() > MAX_EXPECTED_HOSTS)) {
      throw new IllegalArgumentException(
          "expectedHosts must be 1..100000, got " + expectedHosts.getAsInt());
    }
    if (elbRegistrationsPerSecond < 1
        || elbRegistrationsPerSecond > MAX_ELB_REGISTRATIONS_PER_SECOND) {
      throw new IllegalArgumentException(
          "elbRegistrationsPerSecond must be 1..1000, got " + elbRegistrationsPerSecond);
    }
  }

  public static FleetSettings defaults() {
    return new FleetSettings(
        DEFAULT_LEASE_TABLE,
        DEFAULT_MAX_CLOCK_SKEW,
        DEFAULT_SSM_READS_PER_SECOND,
        OptionalInt.empty(),
        DEFAULT_ELB_REGISTRATIONS_PER_SECOND);
  }
}
