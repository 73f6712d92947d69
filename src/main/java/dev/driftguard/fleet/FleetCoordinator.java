package dev.driftguard.fleet;

import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import java.util.List;
import java.util.Optional;

/**
 * Port: what this host learns from and tells its peers, through what AWS already runs (the target
 * group's health, EC2 tags), without a controller. Tags are eventually consistent, so they publish
 * state and feed the circuit breaker but never decide who may leave service: that is the {@link
 * TurnLease}'s compare-and-set. The decisions made from both are pure functions in {@code
 * reconcile/}.
 */
public interface FleetCoordinator {

  /** Every target of the service's target group as the load balancer sees it now. */
  List<PeerTarget> targets(ServiceSpec service);

  /**
   * Whether a peer rolled {@code digest} back (the circuit breaker, DESIGN 4).
   *
   * @return the instance id of such a peer, or empty
   */
  Optional<String> rolledBackBy(ServiceSpec service, Digest digest);

  /**
   * The digest each peer publishes as running the service (EC2 tags), by instance id: what the
   * fleet runs, for a host that has nothing to run and may not start the pinned digest. Read only
   * then, never on every pass.
   */
  java.util.Map<String, Digest> peersRunning(ServiceSpec service);

  /**
   * Publishes this host's state for the service (EC2 tags on its own instance). Only changes are
   * sent; a failure is remembered and retried with the next change, never thrown, since publishing
   * must not block a deploy.
   */
  void publish(ServiceSpec service, PublishedState state);

  /**
   * Sends published state that {@link #publish} held back to respect the API budget, once its
   * interval has passed. The loop calls it every pass, so a deploy's last state goes out even when
   * nothing changes afterwards. Never throws.
   */
  void flush();

  /**
   * How many hosts share the account's API budget with this one: the largest target group read, or
   * the size assumed before any read. Publishing adapters stretch their interval with it (EC2's
   * mutating bucket refills 5 tokens a second for the whole account); others ignore it.
   */
  default void fleetSize(int hosts) {}

  /** One target: instance id, port and its state in the target group. */
  record PeerTarget(String instanceId, int port, dev.driftguard.model.TargetState state) {
    /**
     * The state of {@code instanceId}'s target on {@code port} among {@code targets}, a read of the
     * whole group: {@code NOT_REGISTERED} when the group has no such target.
     */
    public static dev.driftguard.model.TargetState stateOf(
        java.util.Collection<PeerTarget> targets, String instanceId, int port) {
      return targets.stream()
          .filter(t -> t.instanceId().equals(instanceId) && t.port() == port)
          .map(PeerTarget::state)
          .findFirst()
          .orElse(dev.driftguard.model.TargetState.NOT_REGISTERED);
    }
  }

  /**
   * What a host publishes per service (tag contract in docs/design/published-state.md). {@code
   * running} and {@code failed} may be null.
   */
  record PublishedState(
      Digest running, String phase, String lastOutcome, Digest failed, String updatedAt) {}
}
