package dev.driftguard.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetId;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.ForwardingTurnLease;
import dev.driftguard.testing.InMemoryTurnLease;
import dev.driftguard.testing.Specs;
import dev.driftguard.traffic.TrafficGate;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** Registration calls batched through intents on the turn leases (TargetCalls). */
class TargetCallsTest {
  private static final Duration TTL = Duration.ofMinutes(2);

  private final FakeTime time = FakeTime.startingAt("2026-01-01T00:00:00Z");
  private final InMemoryTurnLease table = new InMemoryTurnLease(time, Duration.ofSeconds(5));
  private final ServiceSpec web = Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
  private final List<String> calls = new ArrayList<>();

  /** The gate refuses every call that carries a peer, as ELBv2 does one with a dead instance. */
  private boolean refusePeers;

  /** Windows of exactly half of {@code WINDOW}: the random factor is always its lowest. */
  private static final RandomGenerator LOWEST =
      new RandomGenerator() {
        @Override
        public long nextLong() {
          return 0;
        }

        @Override
        public double nextDouble() {
          return 0;
        }
      };

  private static final Duration HALF = TargetCalls.WINDOW.dividedBy(2);

  private TargetCalls host(String id, TurnLease turns) {
    return new TargetCalls(gate(id), turns, id, time, LOWEST);
  }

  private Deploy deployHolding(String id) {
    Deploy d =
        new Deploy(web, Specs.image('2'), DeployPath.STOP_FIRST, Set.of(), time.instant(), false);
    d.lease = table.acquire(StepEnv.pool(web), 10, id, TTL).orElseThrow();
    return d;
  }

  private TrafficSpec traffic() {
    return web.traffic();
  }

  @Test
  void aPeersPendingIntent_isCarriedByTheFirstCall_andItsHolderFindsItDone() {
    TargetCalls a = host("i-a", table);
    TargetCalls b = host("i-b", table);
    Deploy da = deployHolding("i-a");
    Deploy db = deployHolding("i-b");

    assertThat(a.make(da, TargetCall.DEREGISTER, traffic(), 80)).isEqualTo(HALF);
    time.advance(HALF.dividedBy(2));
    assertThat(b.make(db, TargetCall.DEREGISTER, traffic(), 80)).isEqualTo(HALF);
    assertThat(calls).isEmpty();

    time.advance(HALF.dividedBy(2));
    assertThat(a.make(da, TargetCall.DEREGISTER, traffic(), 80)).isZero();
    assertThat(calls).containsExactly("i-a DEREGISTER i-a:80 [i-b:80]");

    time.advance(HALF.dividedBy(2));
    assertThat(b.make(db, TargetCall.DEREGISTER, traffic(), 80)).isZero();
    assertThat(calls).hasSize(1);
  }

  @Test
  void anIntentNobodyCarried_isWithdrawn_andItsHolderCallsForItself() {
    TargetCalls a = host("i-a", table);
    Deploy da = deployHolding("i-a");
    a.make(da, TargetCall.REGISTER, traffic(), 80);
    time.advance(Duration.ofSeconds(1));

    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isZero();

    assertThat(calls).containsExactly("i-a REGISTER i-a:80 []");
    assertThat(table.pendingIntents(StepEnv.pool(web), TargetCall.REGISTER)).isEmpty();
  }

  @Test
  void theOppositeCall_waitsUntilNoPeersCallCarryingTheIntentCanLand() {
    TargetCalls a = host("i-a", table);
    Deploy da = deployHolding("i-a");
    a.make(da, TargetCall.DEREGISTER, traffic(), 80);
    time.advance(Duration.ofSeconds(1));
    a.make(da, TargetCall.DEREGISTER, traffic(), 80);
    time.advance(Duration.ofSeconds(3));

    // A peer that read the intent before it was settled may land its call until the deadline.
    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80))
        .isEqualTo(TargetCalls.SWITCH_GUARD.minusSeconds(3));
    assertThat(TargetCalls.SWITCH_GUARD).isGreaterThan(TrafficGate.BATCH_DEADLINE);
    time.advance(TargetCalls.SWITCH_GUARD.minusSeconds(3));
    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isEqualTo(HALF);
    // The same call again never waits for the guard.
    assertThat(calls).containsExactly("i-a DEREGISTER i-a:80 []");
  }

  @Test
  void anIntentLeftPostedByAStepThatEndedEarly_isWithdrawnBeforeTheOppositeCall() {
    TargetCalls a = host("i-a", table);
    TargetCalls b = host("i-b", table);
    Deploy da = deployHolding("i-a");
    Deploy db = deployHolding("i-b");
    a.make(da, TargetCall.DEREGISTER, traffic(), 80);

    // The deploy faulted in its window: RESTORE registers again.
    Duration wait = a.make(da, TargetCall.REGISTER, traffic(), 80);

    assertThat(wait).isEqualTo(TargetCalls.SWITCH_GUARD);
    b.make(db, TargetCall.DEREGISTER, traffic(), 80);
    time.advance(Duration.ofSeconds(1));
    b.make(db, TargetCall.DEREGISTER, traffic(), 80);
    assertThat(calls).containsExactly("i-b DEREGISTER i-b:80 []");
  }

  @Test
  void aTableThatCannotSettle_leavesTheHostCallingAlone_andTheOppositeCallWaitingForIt() {
    boolean[] down = {false};
    TurnLease flaky =
        new ForwardingTurnLease(table) {
          @Override
          public boolean settleIntent(Lease lease, long number) {
            if (down[0]) {
              throw new FleetCoordinationException("Throttled", true, null);
            }
            return super.settleIntent(lease, number);
          }
        };
    TargetCalls a = host("i-a", flaky);
    Deploy da = deployHolding("i-a");
    a.make(da, TargetCall.DEREGISTER, traffic(), 80);
    time.advance(Duration.ofSeconds(1));
    down[0] = true;

    assertThat(a.make(da, TargetCall.DEREGISTER, traffic(), 80)).isZero();
    assertThat(calls).containsExactly("i-a DEREGISTER i-a:80 []");
    assertThatThrownBy(() -> a.make(da, TargetCall.REGISTER, traffic(), 80))
        .isInstanceOf(TrafficGateException.class)
        .hasMessageContaining("could not withdraw");

    down[0] = false;
    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isEqualTo(TargetCalls.SWITCH_GUARD);
    assertThat(table.pendingIntents(StepEnv.pool(web), TargetCall.DEREGISTER)).isEmpty();
  }

  @Test
  void aCallThatELBv2RefusesForAPeersTarget_isMadeAgainForThisHostAlone() {
    refusePeers = true;
    TargetCalls a = host("i-a", table);
    TargetCalls b = host("i-b", table);
    Deploy da = deployHolding("i-a");
    Deploy db = deployHolding("i-b");
    b.make(db, TargetCall.REGISTER, traffic(), 80);
    a.make(da, TargetCall.REGISTER, traffic(), 80);
    time.advance(HALF);

    assertThat(b.make(db, TargetCall.REGISTER, traffic(), 80)).isZero();

    assertThat(calls).containsExactly("i-b REGISTER i-b:80 []");
    // The refused peer was not marked done: it calls for itself.
    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isZero();
    assertThat(calls).containsExactly("i-b REGISTER i-b:80 []", "i-a REGISTER i-a:80 []");
  }

  @Test
  void withoutALease_orATableThatSharesNoIntents_theHostCallsAtOnce() {
    TargetCalls a = host("i-a", table);
    Deploy worker =
        new Deploy(web, Specs.image('2'), DeployPath.STOP_FIRST, Set.of(), time.instant(), false);
    assertThat(a.make(worker, TargetCall.DEREGISTER, traffic(), 80)).isZero();

    TurnLease alone =
        new ForwardingTurnLease(table) {
          @Override
          public long postIntent(Lease lease, TargetCall kind, TargetId target) {
            return NO_INTENT;
          }
        };
    Deploy da = deployHolding("i-b");
    assertThat(host("i-b", alone).make(da, TargetCall.REGISTER, traffic(), 81)).isZero();

    assertThat(calls).containsExactly("i-a DEREGISTER i-a:80 []", "i-b REGISTER i-b:81 []");
  }

  @Test
  void anIntentPostedOnALeaseLostSince_isGoneWithIt_andTheOppositeCallWaitsItsGuard() {
    TargetCalls a = host("i-a", table);
    Deploy da = deployHolding("i-a");
    a.make(da, TargetCall.DEREGISTER, traffic(), 80);
    da.lease = null; // taken over: the runner found it lost

    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isEqualTo(TargetCalls.SWITCH_GUARD);
    time.advance(TargetCalls.SWITCH_GUARD);
    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isZero();
    assertThat(calls).containsExactly("i-a REGISTER i-a:80 []");
  }

  @Test
  void inAPoolOfOneTurn_theHostCallsAtOnce_andTheOppositeCallNeedNotWait() {
    TargetCalls a = host("i-a", table);
    Deploy da = deployHolding("i-a");
    da.turnSlots = 1;

    assertThat(a.make(da, TargetCall.DEREGISTER, traffic(), 80)).isZero();
    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isZero();

    assertThat(calls).containsExactly("i-a DEREGISTER i-a:80 []", "i-a REGISTER i-a:80 []");
    assertThat(table.pendingIntents(StepEnv.pool(web), TargetCall.DEREGISTER)).isEmpty();
  }

  @Test
  void anAgentRestart_waitsOutWhatItsPredecessorPosted_beforeAnyCall() {
    TargetCalls a = host("i-a", table);
    Deploy da = deployHolding("i-a");
    a.withdrawnByRestart(web.name());

    assertThat(a.make(da, TargetCall.REGISTER, traffic(), 80)).isEqualTo(TargetCalls.SWITCH_GUARD);
    assertThat(a.make(da, TargetCall.DEREGISTER, traffic(), 80))
        .isEqualTo(TargetCalls.SWITCH_GUARD);
  }

  /** A gate that records each call as {@code "i-a DEREGISTER i-a:80 [i-b:80]"}. */
  private TrafficGate gate(String me) {
    return new TrafficGate() {
      @Override
      public void call(TargetCall call, TrafficSpec traffic, int hostPort, List<TargetId> peers) {
        if (refusePeers && !peers.isEmpty()) {
          throw new TrafficGateException("InvalidTarget: " + peers + " not running", false, null);
        }
        calls.add(me + " " + call + " " + new TargetId(me, hostPort) + " " + peers);
      }

      @Override
      public void register(TrafficSpec traffic, int hostPort) {
        throw new AssertionError("every call goes through call()");
      }

      @Override
      public void deregister(TrafficSpec traffic, int hostPort) {
        throw new AssertionError("every call goes through call()");
      }

      @Override
      public TargetState state(TrafficSpec traffic, int hostPort) {
        return TargetState.HEALTHY;
      }

      @Override
      public Duration drainTimeout(TrafficSpec traffic) {
        return Duration.ZERO;
      }

      @Override
      public Optional<Duration> deregistrationDelay(TrafficSpec traffic) {
        return Optional.of(Duration.ZERO);
      }

      @Override
      public TargetHealthCheck healthCheck(TrafficSpec traffic) {
        return TargetHealthCheck.IMMEDIATE;
      }
    };
  }
}
