package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.TargetState;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The target group's side of the capacity floor (DESIGN 4): is the group healthy enough for this
 * host to leave now? Pure: computed from what the target group reports. It is the second,
 * independent check beside the turn lease, read before leaving and again right after; the lease
 * alone decides who may go (docs/design/capacity-floor.md).
 *
 * <p>Hosts are counted, not targets: a host in a start-first deploy has two targets and is in
 * service while either is healthy.
 */
public final class CapacityFloor {
  private CapacityFloor() {}

  /** The verdict, with the numbers behind it for the log line. */
  public record Verdict(
      boolean mayLeave, int hosts, int allowedOut, int outOfService, String why) {}

  /** How many hosts may be out of service at once for {@code hosts} members. */
  public static int allowedOut(int hosts, RolloutSpec rollout) {
    if (!rollout.maxUnavailablePercent()) {
      return rollout.maxUnavailable();
    }
    return Math.max(1, (int) Math.floor(hosts * rollout.maxUnavailable() / 100.0));
  }

  /** The members of the group, this host included: every instance with a target in it. */
  public static int hosts(String me, Collection<PeerTarget> targets) {
    Set<String> hosts = new HashSet<>();
    targets.forEach(t -> hosts.add(t.instanceId()));
    hosts.add(me);
    return hosts.size();
  }

  /** The other hosts with no healthy target (a start-first host is in while either is healthy). */
  public static Set<String> peersOutOfService(String me, Collection<PeerTarget> targets) {
    Set<String> healthy = new HashSet<>();
    for (PeerTarget t : targets) {
      if (t.state() == TargetState.HEALTHY) {
        healthy.add(t.instanceId());
      }
    }
    Set<String> out = new TreeSet<>();
    for (PeerTarget t : targets) {
      if (!t.instanceId().equals(me) && !healthy.contains(t.instanceId())) {
        out.add(t.instanceId());
      }
    }
    return out;
  }

  /**
   * @param me this host's instance id
   * @param targets every target of the group now (empty for a worker: no group to read)
   */
  public static Verdict decide(String me, Collection<PeerTarget> targets, RolloutSpec rollout) {
    int hosts = hosts(me, targets);
    int allowed = allowedOut(hosts, rollout);
    Set<String> out = peersOutOfService(me, targets);
    boolean mayLeave = out.size() < allowed;
    String why =
        mayLeave
            ? out.size() + " of " + hosts + " host(s) out of service, " + allowed + " allowed"
            : "waiting: " + out + " out of service, " + allowed + " of " + hosts + " allowed";
    return new Verdict(mayLeave, hosts, allowed, out.size(), why);
  }
}
