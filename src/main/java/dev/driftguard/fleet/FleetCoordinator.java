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
   * The digest each peer publishes as running the service (EC2 tags), by instance id: what the
   * fleet runs, for a host that has nothing to run and may not start the pinned digest. Read only
   * then, never on every pass.
   */
  java.util.Map<String, Digest> peersRunning(ServiceSpec service);

  /**
   * Publishes this host's state for the service (EC2 tags on its own instance). Only changes
   * are sent; a failure is remembered and retried with the next change, never thrown, since
   * publishing must not block a deploy.
   */
  void publish(ServiceSpec service, PublishedState state);

  /**
   * Claims ({@code held} true) or releases this host's turn to take the service out of service.
   * Written at once, never coalesced: EC2 tag {@code driftguard:{service}:claim} on this
   * instance with the ISO-8601 UTC time of the claim ({@code CreateTags}); release deletes it
   * ({@code DeleteTags}). Peers read claims before deregistering, which closes the window in
   * which two hosts read the target group at the same moment and both leave.
   *
   * @return false when the tag could not be written (the caller then does not leave)
   */
  boolean claim(ServiceSpec service, boolean held);

  /**
   * Claims of instances other than this one for the service, made within {@code maxAge} (older
   * claims are from hosts that died mid-deploy and are ignored), from EC2 {@code DescribeTags}
   * with {@code key=driftguard:{service}:claim}. A host holds its claim for as long as it is out
   * of service, so a claim also stands for a host whose target has drained out of the group.
   */
  List<Claim> claims(ServiceSpec service, java.time.Duration maxAge);

  /**
   * Sends published state that {@link #publish} held back to respect the API budget, once its
   * interval has passed. The loop calls it every pass, so a deploy's last state goes out even
   * when nothing changes afterwards. Never throws.
   */
  void flush();

  /** A peer's claim to leave service, and when it was made (the tag's value). */
  record Claim(String instanceId, java.time.Instant claimedAt) {}

  /** One target: instance id, port and its state in the target group. */
  record PeerTarget(String instanceId, int port, dev.driftguard.model.TargetState state) {}

  /**
   * What a host publishes per service (tag contract in docs/design/published-state.md).
   * {@code running} and {@code failed} may be null.
   */
  record PublishedState(Digest running, String phase, String lastOutcome, Digest failed, String updatedAt) {}
}
