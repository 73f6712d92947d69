package dev.driftguard.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.Specs;
import dev.driftguard.testing.aws.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link TrafficGate} must do, run against the ELBv2 adapter (real SDK client, local
 * endpoint) and the fake the unit tests use, so the fake cannot drift from the adapter. Hosts are
 * views of one target group through their own gates ({@link #gate}).
 *
 * <p>Target health changes on the group's schedule (the local endpoint really checks a local
 * application), so a test asserts at once only on what both sides decide at the call: a registered
 * target is in service (initial or healthy), a deregistered one is not (draining or gone). Healthy
 * and gone are awaited, bounded.
 */
@Timeout(30)
public abstract class TrafficGateContract {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A host new to the group that may register targets in it (an EC2 instance for ELBv2). */
  protected abstract String newHost();

  /** {@code host}'s gate to the group. */
  protected abstract TrafficGate gate(String host);

  /** The one group every gate of the test works on. */
  protected abstract String targetGroupArn();

  /** How long the group lets a deregistered target drain (its deregistration delay). */
  protected abstract Duration deregistrationDelay();

  /** A host port whose health check passes. */
  protected abstract int port();

  /** A second host port whose health check passes. */
  protected abstract int otherPort();

  private TrafficSpec traffic() {
    return traffic(null, Duration.ofMinutes(5));
  }

  private TrafficSpec traffic(Duration drainTimeout, Duration drainTimeoutCap) {
    return Specs.webBehind(targetGroupArn(), drainTimeout, drainTimeoutCap).traffic();
  }

  private boolean becomes(TrafficGate gate, int port, TargetState state) throws Exception {
    return Await.until(WAIT, () -> gate.state(traffic(), port) == state);
  }

  @Test
  void state_ofATargetNeverRegistered_isNotRegistered() {
    assertThat(gate(newHost()).state(traffic(), port())).isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void register_putsTheTargetInServiceAtOnce_andItTurnsHealthy() throws Exception {
    TrafficGate gate = gate(newHost());

    gate.register(traffic(), port());

    assertThat(gate.state(traffic(), port()).inService()).isTrue();
    assertThat(becomes(gate, port(), TargetState.HEALTHY)).isTrue();
  }

  @Test
  void register_twice_succeeds_andLeavesAHealthyTargetHealthy() throws Exception {
    TrafficGate gate = gate(newHost());
    gate.register(traffic(), port());
    assertThat(becomes(gate, port(), TargetState.HEALTHY)).isTrue();

    gate.register(traffic(), port());

    assertThat(gate.state(traffic(), port())).isEqualTo(TargetState.HEALTHY);
  }

  @Test
  void deregister_takesTheTargetOutOfServiceAtOnce_andItIsGoneAfterTheDelay() throws Exception {
    TrafficGate gate = gate(newHost());
    gate.register(traffic(), port());
    assertThat(becomes(gate, port(), TargetState.HEALTHY)).isTrue();

    gate.deregister(traffic(), port());

    assertThat(gate.state(traffic(), port()))
        .isIn(TargetState.DRAINING, TargetState.NOT_REGISTERED);
    assertThat(becomes(gate, port(), TargetState.NOT_REGISTERED)).isTrue();
  }

  @Test
  void deregister_twice_succeeds_andTheTargetStaysOutOfService() throws Exception {
    TrafficGate gate = gate(newHost());
    gate.register(traffic(), port());

    gate.deregister(traffic(), port());
    gate.deregister(traffic(), port());

    assertThat(gate.state(traffic(), port()).inService()).isFalse();
    assertThat(becomes(gate, port(), TargetState.NOT_REGISTERED)).isTrue();
  }

  @Test
  void deregister_ofATargetNeverRegistered_succeeds_andItStaysNotRegistered() {
    TrafficGate gate = gate(newHost());

    gate.deregister(traffic(), port());

    assertThat(gate.state(traffic(), port())).isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void register_whileDraining_bringsTheTargetBackIntoService() throws Exception {
    TrafficGate gate = gate(newHost());
    gate.register(traffic(), port());
    gate.deregister(traffic(), port());

    gate.register(traffic(), port());

    assertThat(gate.state(traffic(), port()).inService()).isTrue();
    assertThat(becomes(gate, port(), TargetState.HEALTHY)).isTrue();
  }

  @Test
  void eachPortIsItsOwnTarget() throws Exception {
    TrafficGate gate = gate(newHost());
    gate.register(traffic(), port());
    gate.register(traffic(), otherPort());

    gate.deregister(traffic(), port());

    assertThat(gate.state(traffic(), port()).inService()).isFalse();
    assertThat(gate.state(traffic(), otherPort()).inService()).isTrue();
    assertThat(becomes(gate, otherPort(), TargetState.HEALTHY)).isTrue();
  }

  @Test
  void eachHostIsItsOwnTarget_onTheSamePort() throws Exception {
    TrafficGate mine = gate(newHost());
    TrafficGate peers = gate(newHost());
    mine.register(traffic(), port());
    peers.register(traffic(), port());

    mine.deregister(traffic(), port());

    assertThat(mine.state(traffic(), port()).inService()).isFalse();
    assertThat(becomes(peers, port(), TargetState.HEALTHY)).isTrue();
    assertThat(gate(newHost()).state(traffic(), port())).isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void drainTimeout_explicit_isTakenAsIs_whateverTheCapAndTheGroup() {
    TrafficGate gate = gate(newHost());

    assertThat(gate.drainTimeout(traffic(Duration.ofSeconds(7), Duration.ofSeconds(3))))
        .isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void drainTimeout_auto_isTheGroupsDeregistrationDelay_underTheCap() {
    TrafficGate gate = gate(newHost());

    assertThat(gate.drainTimeout(traffic(null, Duration.ofMinutes(5))))
        .isEqualTo(deregistrationDelay());
  }

  @Test
  void drainTimeout_auto_isCappedByTheDrainTimeoutCap() {
    TrafficGate gate = gate(newHost());
    Duration cap = deregistrationDelay().dividedBy(2);

    assertThat(gate.drainTimeout(traffic(null, cap))).isEqualTo(cap);
    assertThat(gate.drainTimeout(traffic(null, Duration.ZERO))).isEqualTo(Duration.ZERO);
  }
}
