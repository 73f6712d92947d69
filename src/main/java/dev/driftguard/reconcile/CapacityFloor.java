package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinator.Claim;
import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.TargetState;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * May this host take its service out of the load balancer now? Pure: computed from what the
 * target group reports and the peers' claims (DESIGN 4, docs/design/capacity-floor.md).
 *
 * <p>A host holds its claim for as long as it is out of service, so claims also count hosts
 * whose targets have drained out of the group and no longer show in it. Hosts are counted, not
 * targets: a host in a start-first deploy has two targets and is in service while either is
 * healthy.
 */
public final class CapacityFloor {
  private CapacityFloor() {}

  /** The verdict, with the numbers behind it for the log line. */
  public record Verdict(boolean mayLeave, int hosts, int allowedOut, int outOfService, String why) {}

  /** How many hosts may be out of service at once for {@code hosts} members. */
  public static int allowedOut(int hosts, RolloutSpec rollout) {
    if (!rollout.maxUnavailablePercent()) {
      return rollout.maxUnavailable();
    }
    return Math.max(1, (int) Math.floor(hosts * rollout.maxUnavailable() / 100.0));
  }

  /**
   * @param me this host's instance id
   * @param myClaim when this host claimed its turn; before claiming, the time of the decision
   * @param targets every target of the group now
   * @param claims the peers' claims (this host excluded)
   * @param settle how long a claim takes to become visible to peers: claims made within this of
   *     each other are simultaneous and the lowest instance id goes first; an earlier claim is
   *     always ahead
   */
  public static Verdict decide(
      String me, Instant myClaim, Collection<PeerTarget> targets, Collection<Claim> claims,
      Duration settle, RolloutSpec rollout) {
    Set<String> hosts = new TreeSet<>();
    Set<String> healthy = new HashSet<>();
    for (PeerTarget t : targets) {
      hosts.add(t.instanceId());
      if (t.state() == TargetState.HEALTHY) {
        healthy.add(t.instanceId());
      }
    }
    claims.forEach(c -> hosts.add(c.instanceId()));
    hosts.add(me);
    int allowed = allowedOut(hosts.size(), rollout);
    Set<String> busy = new TreeSet<>();
    for (PeerTarget t : targets) {
      if (!t.instanceId().equals(me) && !healthy.contains(t.instanceId())) {
        busy.add(t.instanceId());
      }
    }
    for (Claim claim : claims) {
      if (ahead(claim, me, myClaim, settle)) {
        busy.add(claim.instanceId());
      }
    }
    boolean mayLeave = busy.size() < allowed;
    String why = mayLeave
        ? busy.size() + " of " + hosts.size() + " host(s) out of service or ahead, " + allowed + " allowed"
        : "waiting: " + busy + " out of service or ahead of this host, " + allowed + " of " + hosts.size() + " allowed";
    return new Verdict(mayLeave, hosts.size(), allowed, busy.size(), why);
  }

  private static boolean ahead(Claim claim, String me, Instant myClaim, Duration settle) {
    if (claim.claimedAt().isBefore(myClaim.minus(settle))) {
      return true;
    }
    if (claim.claimedAt().isAfter(myClaim.plus(settle))) {
      return false;
    }
    return claim.instanceId().compareTo(me) < 0;
  }
}
