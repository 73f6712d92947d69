package dev.driftguard.traffic;

import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetId;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import java.time.Duration;
import java.util.List;
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

  /**
   * How long a call that carries peers' targets ({@link #call}) may take, retries included. A peer
   * whose intent the call carries counts on it having landed by then or never: after settling its
   * intent it waits this long (plus a margin) before it makes the opposite call, so that a late
   * deregistration cannot take out a target it has just registered again.
   */
  Duration BATCH_DEADLINE = Duration.ofSeconds(10);

  /**
   * Makes {@code call} for this instance on {@code hostPort} and for {@code peers} (other
   * instances' targets in the same group) in one request, which ends within {@link
   * #BATCH_DEADLINE}, retries included, when it carries any peer. A gate that cannot call for peers
   * makes this host's call alone, and refuses peers.
   *
   * @throws UnsupportedOperationException when {@code peers} is not empty and this gate cannot
   *     carry them
   */
  default void call(TargetCall call, TrafficSpec traffic, int hostPort, List<TargetId> peers) {
    if (!peers.isEmpty()) {
      throw new UnsupportedOperationException(
          getClass().getName() + " makes calls for this host only, not for " + peers);
    }
    if (call == TargetCall.REGISTER) {
      register(traffic, hostPort);
    } else {
      deregister(traffic, hostPort);
    }
  }

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
