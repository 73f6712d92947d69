package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.model.RolloutSpec;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * May this host take its service out of the load balancer now? Pure: computed from what the
 * target group reports and which peers claim a turn (DESIGN 4, docs/design/capacity-floor.md).
 *
 * <p>Hosts are counted, not targets: a host in a start-first deploy has two targets and is in
 * service while either is healthy.
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
   * @param targets every target of the group now
   * @param otherClaimants peers holding a claim to leave (this host excluded)
   */
  public static Verdict decide(
      String me, Collection<PeerTarget> targets, Collection<String> otherClaimants, RolloutSpec rollout) {
    Set<String> hosts = new TreeSet<>();
    Set<String> healthy = new HashSet<>();
    for (PeerTarget t : targets) {
      hosts.add(t.instanceId());
      if ("healthy".equals(t.state())) {
        healthy.add(t.instanceId());
      }
    }
    hosts.add(me);
    int allowed = allowedOut(hosts.size(), rollout);
    // Peers out of service for any reason (deploying, crashed, failing health checks) use up
    // the budget; so do peers that claimed a turn first, i.e. with a lower instance id.
    Set<String> busy = new TreeSet<>();
    for (String host : hosts) {
      if (!host.equals(me) && !healthy.contains(host)) {
        busy.add(host);
      }
    }
    for (String claimant : otherClaimants) {
      if (claimant.compareTo(me) < 0) {
        busy.add(claimant);
      }
    }
    boolean mayLeave = busy.size() < allowed;
    String why = mayLeave
        ? busy.size() + " of " + hosts.size() + " host(s) out of service or ahead, " + allowed + " allowed"
        : "waiting: " + busy + " out of service or ahead of this host, " + allowed + " of " + hosts.size() + " allowed";
    return new Verdict(mayLeave, hosts.size(), allowed, busy.size(), why);
  }
}
