package dev.driftguard.traffic;

import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import java.time.Duration;
import java.util.Optional;

/**
 * Port: this host's targets in a load balancer target group. A target is this instance on one host
 * port of {@code traffic.targetGroupArn}. Every call is idempotent: registering a registered target
 * or deregistering an unregistered one succeeds, as in ELBv2. Nothing here waits: the deploy steps
 * poll {@link #state} at their own pace, so waits run in virtual time and never hold the loop.
 * Services without a load balancer never reach a gate.
 */
public interface TrafficGate {

  /** Registers this instance on {@code hostPort}. */
  void register(TrafficSpec traffic, int hostPort);

  /** Deregisters this instance on {@code hostPort}; new requests stop, in-flight ones drain. */
  void deregister(TrafficSpec traffic, int hostPort);

  /** The target's state now, as the load balancer reports it. */
  TargetState state(TrafficSpec traffic, int hostPort);

  /**
   * How long a deregistered target is left to drain at most: the explicit {@code drainTimeout}, or
   * for {@code auto} the target group's deregistration delay capped by {@code drainTimeoutCap}.
   */
  Duration drainTimeout(TrafficSpec traffic);

  /**
   * The target group's deregistration delay, when it can be read: a deregistered target shows
   * {@code draining} for all of it (ELBv2 keeps the state even when its connections closed sooner),
   * so reading its state earlier cannot find it gone. Cached like {@link #drainTimeout}; empty,
   * never an exception, when the group's attributes cannot be read.
   */
  Optional<Duration> deregistrationDelay(TrafficSpec traffic);

  /**
   * How the target group checks its targets: it bounds how soon a target can truly turn healthy
   * after {@link #register}, so a sooner {@code healthy} is known to be a lagged read. Settings
   * rarely change: implementations may keep them for the life of the process.
   *
   * @throws TrafficGateException when reading the group's settings was throttled (nothing is cached
   *     then); other failures may answer a conservative assumption instead
   */
  TargetHealthCheck healthCheck(TrafficSpec traffic);

  /**
   * Reads and keeps what a deploy needs to know of the group once the host has left service (its
   * deregistration delay and health-check timing), so that it is read while the host still serves
   * and can wait: read only after deregistering, a throttled read left the delay unknown and the
   * drain was polled instead, at the account's expense. Throws {@link TrafficGateException} when
   * throttled; settings refused for other reasons are left to the fallbacks of {@link
   * #deregistrationDelay} and {@link #healthCheck}.
   */
  default void learnGroupSettings(TrafficSpec traffic) {
    deregistrationDelay(traffic);
    healthCheck(traffic);
  }

  /**
   * The group's settings, when both were read from ELBv2 (not assumed) or adopted: what a host may
   * share with its peers; empty otherwise.
   */
  default Optional<GroupSettings> knownGroupSettings(TrafficSpec traffic) {
    return Optional.empty();
  }

  /** Takes the group's settings as a peer read them, instead of reading them from ELBv2. */
  default void adoptGroupSettings(TrafficSpec traffic, GroupSettings settings) {}
}
