package dev.driftguard.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.TargetState;
import java.util.List;
import org.junit.jupiter.api.Test;

class CapacityFloorTest {
  private static final RolloutSpec ONE =
      new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 1, false, true, 0);
  private static final RolloutSpec QUARTER =
      new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 25, true, true, 0);

  private static CapacityFloor.Verdict decide(String me, List<PeerTarget> targets, RolloutSpec r) {
    return CapacityFloor.decide(me, targets, r);
  }

  private static List<PeerTarget> fleet(String... states) {
    List<PeerTarget> targets = new java.util.ArrayList<>();
    for (int i = 0; i < states.length; i++) {
      targets.add(new PeerTarget("i-" + (i + 1), 80, TargetState.fromElbv2(states[i], null)));
    }
    return targets;
  }

  @Test
  void decide_whenEveryPeerHealthy_mayLeave() {
    assertThat(decide("i-1", fleet("healthy", "healthy", "healthy", "healthy"), ONE).mayLeave())
        .isTrue();
  }

  @Test
  void decide_whenAPeerIsOutOfService_waits() {
    for (String out : List.of("draining", "initial", "unhealthy", "unavailable")) {
      CapacityFloor.Verdict v = decide("i-1", fleet("healthy", out, "healthy", "healthy"), ONE);
      assertThat(v.mayLeave()).as(out).isFalse();
      assertThat(v.why()).contains("i-2");
    }
  }

  @Test
  void decide_whenThisHostIsTheOneOut_mayStillLeave() {
    // e.g. resuming after a crash while deregistered: this host's own state does not count.
    assertThat(decide("i-1", fleet("draining", "healthy", "healthy"), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_percentBudget_countsHostsNotTargets() {
    // 8 hosts, 25%: two may be out; a start-first host with two targets is one host.
    List<PeerTarget> targets =
        new java.util.ArrayList<>(
            fleet(
                "healthy",
                "draining",
                "healthy",
                "healthy",
                "healthy",
                "healthy",
                "healthy",
                "healthy"));
    targets.add(new PeerTarget("i-3", 8081, TargetState.INITIAL));
    assertThat(decide("i-1", targets, QUARTER).mayLeave()).isTrue();
    assertThat(decide("i-1", targets, QUARTER).hosts()).isEqualTo(8);
    targets.add(new PeerTarget("i-9", 80, TargetState.UNHEALTHY));
    assertThat(decide("i-1", targets, QUARTER).mayLeave()).isFalse();
  }

  @Test
  void allowedOut_percentRoundsDownButNeverBelowOne() {
    assertThat(CapacityFloor.allowedOut(3, QUARTER)).isEqualTo(1);
    assertThat(CapacityFloor.allowedOut(8, QUARTER)).isEqualTo(2);
    assertThat(CapacityFloor.allowedOut(10, ONE)).isEqualTo(1);
  }
}
