package dev.driftguard.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.model.RolloutSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class CapacityFloorTest {
  private static final RolloutSpec ONE = new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 1, false, true, 0);
  private static final RolloutSpec QUARTER = new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 25, true, true, 0);

  private static List<PeerTarget> fleet(String... states) {
    List<PeerTarget> targets = new java.util.ArrayList<>();
    for (int i = 0; i < states.length; i++) {
      targets.add(new PeerTarget("i-" + (i + 1), 80, states[i]));
    }
    return targets;
  }

  @Test
  void decide_whenEveryPeerHealthy_mayLeave() {
    assertThat(CapacityFloor.decide("i-1", fleet("healthy", "healthy", "healthy", "healthy"), List.of(), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_whenAPeerIsOutOfService_waits() {
    for (String out : List.of("draining", "initial", "unhealthy", "unavailable")) {
      CapacityFloor.Verdict v = CapacityFloor.decide("i-1", fleet("healthy", out, "healthy", "healthy"), List.of(), ONE);
      assertThat(v.mayLeave()).as(out).isFalse();
      assertThat(v.why()).contains("i-2");
    }
  }

  @Test
  void decide_whenThisHostIsTheOneOut_mayStillLeave() {
    // e.g. resuming after a crash while deregistered: this host's own state does not count.
    assertThat(CapacityFloor.decide("i-1", fleet("draining", "healthy", "healthy"), List.of(), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_claimsByLowerIdsGoFirst_higherIdsWait() {
    assertThat(CapacityFloor.decide("i-2", fleet("healthy", "healthy", "healthy"), List.of("i-1"), ONE).mayLeave()).isFalse();
    assertThat(CapacityFloor.decide("i-1", fleet("healthy", "healthy", "healthy"), List.of("i-2"), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_percentBudget_countsHostsNotTargets() {
    // 8 hosts, 25%: two may be out; a start-first host with two targets is one host.
    List<PeerTarget> targets = new java.util.ArrayList<>(fleet("healthy", "draining", "healthy", "healthy", "healthy", "healthy", "healthy", "healthy"));
    targets.add(new PeerTarget("i-3", 8081, "initial"));
    assertThat(CapacityFloor.decide("i-1", targets, List.of(), QUARTER).mayLeave()).isTrue();
    assertThat(CapacityFloor.decide("i-1", targets, List.of("i-0"), QUARTER).mayLeave()).isFalse();
  }

  @Test
  void allowedOut_percentRoundsDownButNeverBelowOne() {
    assertThat(CapacityFloor.allowedOut(3, QUARTER)).isEqualTo(1);
    assertThat(CapacityFloor.allowedOut(8, QUARTER)).isEqualTo(2);
    assertThat(CapacityFloor.allowedOut(10, ONE)).isEqualTo(1);
  }
}
