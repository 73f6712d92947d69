package dev.driftguard.fleet;

import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import java.util.List;
import java.util.Optional;

/**
 * Port: what this host learns from and tells its peers, through what AWS already runs (the
 * target group's health, EC2 tags), without a controller. The decisions made from it (may this
 * host leave service now?) are pure functions in {@code reconcile/}.
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
   * Publishes this host's state for the service (EC2 tags on its own instance). Only changes
   * are sent; a failure is remembered and retried with the next change, never thrown, since
   * publishing must not block a deploy.
   */
  void publish(ServiceSpec service, PublishedState state);

  /** One target: instance id, port and ELBv2 state ({@code healthy}, {@code draining}, ...). */
  record PeerTarget(String instanceId, int port, String state) {}

  /**
   * What a host publishes per service (tag contract in docs/design/published-state.md).
   * {@code running} and {@code failed} may be null.
   */
  record PublishedState(Digest running, String phase, String lastOutcome, Digest failed, String updatedAt) {}
}
