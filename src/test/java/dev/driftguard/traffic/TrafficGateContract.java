package dev.driftguard.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.ContractTargetGroupSuite;
import dev.driftguard.testing.Specs;
import dev.driftguard.testing.aws.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link TrafficGate} must do, run against the ELBv2 adapter (real SDK client, local
 * endpoint) and the fake the unit tests use, so the fake cannot drift from the adapter. Hosts are
 * views of one target group through their own gates.
 *
 * <p>Target health changes on the group's schedule (the local endpoint really checks a local
 * application), so a test asserts at once only on what both sides decide at the call: a registered
 * target is in service (initial or healthy), a deregistered one is not (draining or gone). Healthy
 * and gone are awaited, bounded.
 */
@Timeout(30)
public abstract class TrafficGateContract extends ContractTargetGroupSuite {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TrafficSpec traffic() {
    return traffic(null, Duration.ofMinutes(5));
  }

  private TrafficSpec traffic(Duration drainTimeout, Duration drainTimeoutCap) {
    return Specs.webBehind(group.targetGroupArn(), drainTimeout, drainTimeoutCap).traffic();
  }

  private boolean becomes(TrafficGate gate, int port, TargetState state) throws Exception {
    return Await.until(WAIT, () -> gate.state(traffic(), port) == state);
  }

  @Test
  void state_ofATargetNeverRegistered_isNotRegistered() {
    assertThat(group.gate(group.newHost()).state(traffic(), group.port()))
        .isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void register_putsTheTargetInServiceAtOnce_andItTurnsHealthy() throws Exception {
    TrafficGate gate = group.gate(group.newHost());

    gate.register(traffic(), group.port());

    assertThat(gate.state(traffic(), group.port()).inService()).isTrue();
    assertThat(becomes(gate, group.port(), TargetState.HEALTHY)).isTrue();
  }

  @Test
  void register_twice_succeeds_andLeavesAHealthyTargetHealthy() throws Exception {
    TrafficGate gate = group.gate(group.newHost());
    gate.register(traffic(), group.port());
    assertThat(becomes(gate, group.port(), TargetState.HEALTHY)).isTrue();

    gate.register(traffic(), group.port());

    assertThat(gate.state(traffic(), group.port())).isEqualTo(TargetState.HEALTHY);
  }

  @Test
  void deregister_takesTheTargetOutOfServiceAtOnce_andItIsGoneAfterTheDelay() throws Exception {
    TrafficGate gate = group.gate(group.newHost());
    gate.register(traffic(), group.port());
    assertThat(becomes(gate, group.port(), TargetState.HEALTHY)).isTrue();

    gate.deregister(traffic(), group.port());

    assertThat(gate.state(traffic(), group.port()))
        .isIn(TargetState.DRAINING, TargetState.NOT_REGISTERED);
    assertThat(becomes(gate, group.port(), TargetState.NOT_REGISTERED)).isTrue();
  }

  @Test
  void deregister_twice_succeeds_andTheTargetStaysOutOfService() throws Exception {
    TrafficGate gate = group.gate(group.newHost());
    gate.register(traffic(), group.port());

    gate.deregister(traffic(), group.port());
    gate.deregister(traffic(), group.port());

    assertThat(gate.state(traffic(), group.port()).inService()).isFalse();
    assertThat(becomes(gate, group.port(), TargetState.NOT_REGISTERED)).isTrue();
  }

  @Test
  void deregister_ofATargetNeverRegistered_succeeds_andItStaysNotRegistered() {
    TrafficGate gate = group.gate(group.newHost());

    gate.deregister(traffic(), group.port());

    assertThat(gate.state(traffic(), group.port())).isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void register_whileDraining_bringsTheTargetBackIntoService() throws Exception {
    TrafficGate gate = group.gate(group.newHost());
    gate.register(traffic(), group.port());
    gate.deregister(traffic(), group.port());

    gate.register(traffic(), group.port());

    assertThat(gate.state(traffic(), group.port()).inService()).isTrue();
    assertThat(becomes(gate, group.port(), TargetState.HEALTHY)).isTrue();
  }

  @Test
  void eachPortIsItsOwnTarget() throws Exception {
    TrafficGate gate = group.gate(group.newHost());
    gate.register(traffic(), group.port());
    gate.register(traffic(), group.otherPort());

    gate.deregister(traffic(), group.port());

    assertThat(gate.state(traffic(), group.port()).inService()).isFalse();
    assertThat(gate.state(traffic(), group.otherPort()).inService()).isTrue();
    assertThat(becomes(gate, group.otherPort(), TargetState.HEALTHY)).isTrue();
  }

  @Test
  void eachHostIsItsOwnTarget_onTheSamePort() throws Exception {
    TrafficGate mine = group.gate(group.newHost());
    TrafficGate peers = group.gate(group.newHost());
    mine.register(traffic(), group.port());
    peers.register(traffic(), group.port());

    mine.deregister(traffic(), group.port());

    assertThat(mine.state(traffic(), group.port()).inService()).isFalse();
    assertThat(becomes(peers, group.port(), TargetState.HEALTHY)).isTrue();
    assertThat(group.gate(group.newHost()).state(traffic(), group.port()))
        .isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void deregistrationDelay_isTheGroups_whateverTheDrainTimeout() {
    TrafficGate gate = group.gate(group.newHost());

    assertThat(gate.deregistrationDelay(traffic(Duration.ofSeconds(7), Duration.ZERO)))
        .contains(group.deregistrationDelay());
    assertThat(gate.deregistrationDelay(traffic())).contains(group.deregistrationDelay());
  }

  @Test
  void healthCheck_isTheGroupsIntervalAndHealthyThreshold_onEveryCall() {
    TrafficGate gate = group.gate(group.newHost());

    assertThat(gate.healthCheck(traffic())).isEqualTo(group.healthCheck());
    assertThat(gate.healthCheck(traffic())).isEqualTo(group.healthCheck());
  }

  @Test
  void drainTimeout_explicit_isTakenAsIs_whateverTheCapAndTheGroup() {
    TrafficGate gate = group.gate(group.newHost());

    assertThat(gate.drainTimeout(traffic(Duration.ofSeconds(7), Duration.ofSeconds(3))))
        .isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void drainTimeout_auto_isTheGroupsDeregistrationDelay_underTheCap() {
    TrafficGate gate = group.gate(group.newHost());

    assertThat(gate.drainTimeout(traffic(null, Duration.ofMinutes(5))))
        .isEqualTo(group.deregistrationDelay());
  }

  @Test
  void drainTimeout_auto_isCappedByTheDrainTimeoutCap() {
    TrafficGate gate = group.gate(group.newHost());
    Duration cap = group.deregistrationDelay().dividedBy(2);

    assertThat(gate.drainTimeout(traffic(null, cap))).isEqualTo(cap);
    assertThat(gate.drainTimeout(traffic(null, Duration.ZERO))).isEqualTo(Duration.ZERO);
  }
}
