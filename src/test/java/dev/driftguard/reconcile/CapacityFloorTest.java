package dev.driftguard.reconcile;

import dev.driftguard.model.TargetState;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.fleet.FleetCoordinator.Claim;
import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import java.time.Duration;
import java.time.Instant;
import dev.driftguard.model.RolloutSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class CapacityFloorTest {
  private static final RolloutSpec ONE = new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 1, false, true, 0);
  private static final RolloutSpec QUARTER = new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 25, true, true, 0);

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration SETTLE = Duration.ofSeconds(2);

  private static CapacityFloor.Verdict decide(String me, List<PeerTarget> targets, List<Claim> claims, RolloutSpec r) {
    return CapacityFloor.decide(me, NOW, targets, claims, SETTLE, r);
  }

  private static Claim claim(String id, int secondsFromNow) {
    return new Claim(id, NOW.plusSeconds(secondsFromNow));
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
    assertThat(decide("i-1", fleet("healthy", "healthy", "healthy", "healthy"), List.of(), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_whenAPeerIsOutOfService_waits() {
    for (String out : List.of("draining", "initial", "unhealthy", "unavailable")) {
      CapacityFloor.Verdict v = decide("i-1", fleet("healthy", out, "healthy", "healthy"), List.of(), ONE);
      assertThat(v.mayLeave()).as(out).isFalse();
      assertThat(v.why()).contains("i-2");
    }
  }

  @Test
  void decide_whenThisHostIsTheOneOut_mayStillLeave() {
    // e.g. resuming after a crash while deregistered: this host's own state does not count.
    assertThat(decide("i-1", fleet("draining", "healthy", "healthy"), List.of(), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_simultaneousClaims_lowerIdGoesFirst() {
    assertThat(decide("i-2", fleet("healthy", "healthy", "healthy"), List.of(claim("i-1", 1)), ONE).mayLeave()).isFalse();
    assertThat(decide("i-1", fleet("healthy", "healthy", "healthy"), List.of(claim("i-2", -1)), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_anEarlierClaimIsAhead_whateverItsId() {
    assertThat(decide("i-1", fleet("healthy", "healthy", "healthy"), List.of(claim("i-3", -10)), ONE).mayLeave()).isFalse();
  }

  @Test
  void decide_aLaterClaimIsBehind() {
    assertThat(decide("i-3", fleet("healthy", "healthy", "healthy"), List.of(claim("i-1", 10)), ONE).mayLeave()).isTrue();
  }

  @Test
  void decide_aClaimantWhoseTargetDrainedOutOfTheGroup_stillCounts() {
    // i-4 left earlier and its target is gone from the group: only its claim shows it is out.
    CapacityFloor.Verdict v = decide("i-1", fleet("healthy", "healthy", "healthy"), List.of(claim("i-4", -30)), ONE);
    assertThat(v.mayLeave()).isFalse();
    assertThat(v.hosts()).isEqualTo(4);
  }

  @Test
  void decide_percentBudget_countsHostsNotTargets() {
    // 8 hosts, 25%: two may be out; a start-first host with two targets is one host.
    List<PeerTarget> targets = new java.util.ArrayList<>(fleet("healthy", "draining", "healthy", "healthy", "healthy", "healthy", "healthy", "healthy"));
    targets.add(new PeerTarget("i-3", 8081, TargetState.INITIAL));
    assertThat(decide("i-1", targets, List.of(), QUARTER).mayLeave()).isTrue();
    assertThat(decide("i-1", targets, List.of(claim("i-0", -5)), QUARTER).mayLeave()).isFalse();
  }

  @Test
  void allowedOut_percentRoundsDownButNeverBelowOne() {
    assertThat(CapacityFloor.allowedOut(3, QUARTER)).isEqualTo(1);
    assertThat(CapacityFloor.allowedOut(8, QUARTER)).isEqualTo(2);
    assertThat(CapacityFloor.allowedOut(10, ONE)).isEqualTo(1);
  }
}
