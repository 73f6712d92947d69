package dev.driftguard.reconcile;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.FakeContainerRuntime.Behaviour;
import dev.driftguard.testing.FakeTargetGroup;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.ForwardingFleetCoordinator;
import dev.driftguard.testing.InMemoryTurnLease;
import dev.driftguard.testing.Specs;
import dev.driftguard.traffic.TrafficGate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Deploys behind a load balancer: order of traffic and container steps, the gate, recovery. */
class TrafficScenarioTest {
  private static final ImageRef V1 = image('1');
  private static final ImageRef V2 = image('2');
  private static final ImageRef BAD = image('b');
  private static final String ME = "i-0000000000000001";

  private AgentHarness host(RolloutSpec.Strategy strategy, FakeTargetGroup[] group) {
    AgentHarness host = new AgentHarness(Specs.webBehindLoadBalancer(strategy));
    group[0] = new FakeTargetGroup(host.runtime::record);
    host.traffic = group[0].gate(ME);
    host.fleet = group[0].fleet(ME);
    host.restartAgent();
    host.runtime
        .publish(V1, Behaviour.HEALTHY)
        .publish(V2, Behaviour.HEALTHY)
        .publish(BAD, Behaviour.UNHEALTHY);
    return host;
  }

  @Test
  void stopFirst_leavesOnlyAfterPull_andComesBackAfterHealth() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    assertThat(host.runtime.journal())
        .containsSubsequence(
            "pull " + V2.pinned(),
            "deregister " + ME + ":18080",
            "stop web",
            "create web " + V2.digest().shortForm(),
            "start web",
            "register " + ME + ":18080");
    assertThat(group[0].state(ME, 18080)).contains("healthy");
    assertThat(group[0].published(ME))
        .containsEntry("running", V2.digest().value())
        .containsEntry("phase", "idle")
        .containsEntry("outcome", "success");
  }

  @Test
  void stopFirst_waitsWhileAPeerIsOutOfService() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    group[0].set("i-0000000000000002", 18080, "draining");
    AtomicInteger reads = new AtomicInteger();
    group[0].onRead =
        () -> {
          if (reads.incrementAndGet() == 5) {
            group[0].set("i-0000000000000002", 18080, "healthy");
          }
        };
    host.pin("web", V2);
    Duration before = host.time.slept();
    host.pass();
    assertThat(reads.get()).isGreaterThanOrEqualTo(5);
    assertThat(host.time.slept().minus(before)).isGreaterThan(Duration.ofSeconds(5));
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
  }

  @Test
  void stopFirst_waitsWhileAPeerHoldsTheOnlyTurn() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    group[0].set("i-0000000000000000", 18080, "healthy");
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    assertThat(host.turns.acquire(pool, 1, "i-0000000000000000", Duration.ofHours(1))).isPresent();
    host.pin("web", V2);
    host.pass();
    // The gate gave up after its timeout: nothing was touched, and the deploy will be retried.
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.runtime.journal()).doesNotContain("deregister " + ME + ":18080");
    assertThat(host.events).contains("deploy web failed");
  }

  /**
   * Two may be out. One peer holds a turn but still shows healthy (its deregistration not visible
   * yet); another is out of service without a turn (back from its deploy, not healthy yet). The
   * group's view shows one out, the lease one held: each alone has room, together they do not. The
   * turn this host wins is given back.
   */
  @Test
  void aTurnWon_isGivenBack_whenHoldersPlusHostsOutWithoutATurnFillTheFloor() throws Exception {
    AgentHarness host =
        new AgentHarness(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST, 2));
    FakeTargetGroup group = new FakeTargetGroup(host.runtime::record);
    host.traffic = group.gate(ME);
    host.fleet = group.fleet(ME);
    host.restartAgent();
    host.runtime.publish(V1, Behaviour.HEALTHY).publish(V2, Behaviour.HEALTHY);
    host.pin("web", V1);
    host.pass();
    String holder = "i-0000000000000002";
    String back = "i-0000000000000003";
    group.set(holder, 18080, "healthy");
    group.set(back, 18080, "initial");
    group.set("i-0000000000000004", 18080, "healthy");
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    host.turns.acquire(pool, 2, holder, Duration.ofHours(1)).orElseThrow();

    host.pin("web", V2);
    host.pass();

    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.runtime.journal()).doesNotContain("deregister " + ME + ":18080");
    assertThat(host.turns.holders(pool)).extracting(l -> l.owner()).containsExactly(holder);
  }

  private static final String PEER = "i-0000000000000002";

  /** A host on V1 allowed one target out, beside {@link #PEER}, healthy. */
  private AgentHarness onV1WithAHealthyPeer(FakeTargetGroup[] group, Duration maxSkew)
      throws Exception {
    AgentHarness host = onV1(1, group, maxSkew);
    group[0].set(PEER, 18080, "healthy");
    return host;
  }

  /** A peer's census showing this host in service and the peer out; returns its number. */
  private static long shareCensusWithPeerOut(TurnLease turns, String pool, String peer) {
    long number = turns.reserveCensus(pool);
    turns.shareCensus(
        pool,
        number,
        List.of(
            new PeerTarget(ME, 18080, TargetState.HEALTHY),
            new PeerTarget(peer, 18080, TargetState.UNHEALTHY)));
    return number;
  }

  /** A stop-first host on V1 whose lease table trusts every clock to the millisecond. */
  private AgentHarness onV1WithUnskewedClocks(int maxUnavailable, FakeTargetGroup[] group)
      throws Exception {
    return onV1(maxUnavailable, group, Duration.ZERO);
  }

  /** A stop-first host on V1 whose lease table allows clocks {@code maxSkew} apart. */
  private AgentHarness onV1(int maxUnavailable, FakeTargetGroup[] group, Duration maxSkew)
      throws Exception {
    AgentHarness host =
        new AgentHarness(
            Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST, maxUnavailable));
    host.turns = new InMemoryTurnLease(host.time, maxSkew);
    group[0] = new FakeTargetGroup(host.runtime::record);
    host.traffic = group[0].gate(ME);
    host.fleet = group[0].fleet(ME);
    host.restartAgent();
    host.runtime.publish(V1, Behaviour.HEALTHY).publish(V2, Behaviour.HEALTHY);
    host.pin("web", V1);
    host.pass();
    return host;
  }

  /**
   * Rule 2 (docs/design/fleet-at-scale.md): with its turn won, the gate takes a peer's census of
   * the group read after this host, waiting for its turn, noted the census's order (at most {@link
   * GateStep#CENSUS_MAX_AGE} ago) instead of reading ELBv2, even where clocks may be a minute apart
   * (so no writer's time could vouch for it). Here the census says a peer is out, the group (read)
   * says not: the host gives its turn back, and leaves once it reads the group itself.
   */
  @Test
  void theGate_takesACensusReadAfterItsNote_andReadsTheGroupWhenItHasNone() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = onV1WithAHealthyPeer(group, Duration.ofSeconds(60));
    String peer = PEER;
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    TurnLease.Lease peersTurn =
        host.turns.acquire(pool, 1, peer, Duration.ofMinutes(2)).orElseThrow();

    host.pin("web", V2);
    host.loop.tick(); // the poll, PULL and GATE, which waits for the peer's turn and notes
    // The peer reads the group (showing itself unhealthy), shares it and gives its turn back.
    long number = shareCensusWithPeerOut(host.turns, pool, peer);
    host.turns.release(peersTurn);
    host.time.advance(Duration.ofMillis(7600)); // past the longest jittered gate poll
    host.loop.tick(); // wins the turn; the census shows no room

    assertThat(host.runtime.journal()).doesNotContain("deregister " + ME + ":18080");
    assertThat(host.turns.holders(pool)).isEmpty();

    host.loop.runOnce();

    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(
            host.turns
                .sharedCensus(pool, number, host.time.instant().plusSeconds(3600))
                .orElseThrow())
        .extracting(PeerTarget::state)
        .doesNotContain(TargetState.UNHEALTHY);
  }

  /**
   * A census shared before the deploy began serves neither by its number (the host noted the
   * census's order as the deploy began) nor by its writer's time, even with that writer's clock
   * ahead by most of the allowed skew: the host reads the group itself at its first try, and leaves
   * (taken, the census would have sent the turn back for at least a roomless wait).
   */
  @Test
  void theGate_wonAtOnce_readsTheGroup_notACensusSharedBefore() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = onV1WithAHealthyPeer(group, Duration.ofSeconds(60));
    String peer = PEER;
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    shareCensusWithPeerOut(
        ((InMemoryTurnLease) host.turns)
            .as(java.time.Clock.offset(host.time, Duration.ofSeconds(49))),
        pool,
        peer);
    Instant pinned = host.time.instant();
    List<Instant> reads = new ArrayList<>();
    group[0].onRead = () -> reads.add(host.time.instant());

    host.pin("web", V2);
    host.pass();

    assertThat(reads).isNotEmpty();
    assertThat(Duration.between(pinned, reads.get(0))).isLessThan(Duration.ofSeconds(5));

    assertThat(host.runtime.journal()).contains("deregister " + ME + ":18080");
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
  }

  /**
   * The re-check after leaving takes no census taken before this host left: a peer's earlier read
   * said all were in service, the group now shows one out, so the host goes back at once.
   */
  @Test
  void theFloorCheckAfterLeaving_ignoresACensusFromBeforeTheHostLeft() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = onV1WithUnskewedClocks(2, group);
    for (int i = 2; i <= 4; i++) {
      group[0].set("i-000000000000000" + i, 18080, "healthy");
    }
    // Two peers fail on their own once this host has left (two of five allowed out).
    group[0].onRead =
        () -> {
          if (group[0].state(ME, 18080).map(s -> !s.equals("healthy")).orElse(true)) {
            group[0].set("i-0000000000000002", 18080, "unhealthy");
            group[0].set("i-0000000000000003", 18080, "unhealthy");
          }
        };

    host.pin("web", V2);
    host.pass();

    assertThat(host.runtime.journal())
        .containsSubsequence("deregister " + ME + ":18080", "register " + ME + ":18080")
        .doesNotContain("stop web");
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
  }

  /**
   * Hosts waiting for their targets to turn healthy share their reads of the group (rule 2): a
   * census a peer read after this host's previous read of its target serves the next one. A census
   * read before that, its own last read included, does not: the host reads the group itself.
   */
  @Test
  void register_takesACensusReadSinceItsLastRead_insteadOfReadingTheGroup() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = onV1WithUnskewedClocks(1, group);
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    List<Instant> registerReads = new ArrayList<>();
    group[0].onRead =
        () -> {
          if (group[0].state(ME, 18080).isPresent()
              && host.store.load().get("web").phase() == Phase.REGISTER) {
            // The group's checks have not passed yet.
            group[0].set(ME, 18080, "initial");
            registerReads.add(host.time.instant());
          }
        };

    host.pin("web", V2);
    Duration next = host.loop.tick();
    for (int i = 0; i < 50 && registerReads.size() < 2; i++) {
      host.time.advance(next);
      next = host.loop.tick();
    }
    // Two polls, two reads: the census of its own first read is older than its second poll.
    assertThat(registerReads).hasSize(2);

    // A peer, registering too, reads the group after that and shares what it shows.
    long number = host.turns.reserveCensus(pool);
    host.turns.shareCensus(pool, number, List.of(new PeerTarget(ME, 18080, TargetState.HEALTHY)));
    for (int i = 0; i < 5 && !host.events.contains("deploy web success"); i++) {
      host.time.advance(next);
      next = host.loop.tick();
    }

    assertThat(host.events).contains("deploy web success");
    assertThat(registerReads).hasSize(2);
  }

  /** An idle host on V1 whose agent crashed holding a turn, then started again. */
  private AgentHarness restartedHoldingAStaleTurn(FakeTargetGroup[] group) throws Exception {
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    assertThat(host.turns.acquire(pool(host), 1, ME, Duration.ofMinutes(10))).isPresent();
    host.restartAgent();
    return host;
  }

  private static String pool(AgentHarness host) {
    return host.services.get(0).traffic().targetGroupArn().value();
  }

  @Test
  void aTurnLeaseLeftByACrashedAgent_isReleasedAtTheFirstTick() throws Exception {
    AgentHarness host = restartedHoldingAStaleTurn(new FakeTargetGroup[1]);

    host.loop.tick();

    assertThat(host.turns.holders(pool(host))).isEmpty();
  }

  @Test
  void aTurnLeaseLeftByACrashedAgent_isReleasedBeforeTheFirstDeploySeeksItsTurn_notAfter()
      throws Exception {
    AgentHarness host = restartedHoldingAStaleTurn(new FakeTargetGroup[1]);
    host.pin("web", V2);
    host.events.clear();
    int journalBefore = host.runtime.journal().size();

    // The first poll begins the deploy; the stale lease goes before the deploy takes its turn, so
    // the turn the deploy holds while out of service is its own, and a peer must wait for it.
    String peer = "i-0000000000000002";
    boolean sawItOut = false;
    Duration next = host.loop.tick();
    for (int i = 0; i < 200 && !host.events.contains("deploy web success"); i++) {
      List<String> journal = host.runtime.journal();
      if (!sawItOut
          && journal
              .subList(journalBefore, journal.size())
              .contains("deregister " + ME + ":18080")) {
        sawItOut = true;
        assertThat(host.turns.acquire(pool(host), 1, peer, Duration.ofMinutes(2))).isEmpty();
      }
      host.time.advance(next);
      next = host.loop.tick();
    }

    assertThat(sawItOut).isTrue();
    assertThat(host.events).contains("deploy web success");
    assertThat(host.turns.holders(pool(host))).isEmpty();
  }

  @Test
  void theTurnIsReleasedAtTheEnd_soThePeerCanGo() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    assertThat(host.turns.holders(pool)).isEmpty();
    assertThat(host.turns.acquire(pool, 1, "i-0000000000000002", Duration.ofMinutes(2)))
        .isPresent();
  }

  @Test
  void theTurnGivenBack_restsACycleFromWhenItWasTaken_soTurnsKeepToTheRegistrationBudget()
      throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    // One call every 100 s: a turn (two calls) every 200 s, here a pool of one slot.
    host.timing = host.timing.forRegistrationBudget(0.01);
    host.restartAgent();
    host.pin("web", V1);
    host.pass();
    Instant beforeTheTurn = host.time.instant();
    host.pin("web", V2);
    host.pass();
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(host.turns.holders(pool)).isEmpty();

    String peer = "i-0000000000000002";
    assertThat(host.turns.acquire(pool, 1, peer, Duration.ofMinutes(2))).isEmpty();
    host.time.advance(Duration.between(host.time.instant(), beforeTheTurn.plusSeconds(200)));
    assertThat(host.turns.acquire(pool, 1, peer, Duration.ofMinutes(2))).isPresent();
  }

  @Test
  void stopFirst_rollbackEndsRegistered() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.pin("web", BAD);
    host.pass();
    assertThat(host.events).contains("deploy web rolled_back");
    assertThat(group[0].state(ME, 18080)).contains("healthy");
    assertThat(group[0].published(ME)).containsEntry("failed", BAD.digest().value());
  }

  @Test
  void peerRolledBackDigest_isRefused() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    group[0]
        .fleet("i-0000000000000009")
        .publish(
            Specs.web(),
            new dev.driftguard.fleet.FleetCoordinator.PublishedState(
                V1.digest(), "idle", "rolled_back", BAD.digest(), "t"));
    int journal = host.runtime.journal().size();
    host.pin("web", BAD);
    host.pass();
    assertThat(host.runtime.journal()).hasSize(journal);
    assertThat(host.store.load().get("web").lastError())
        .contains("rolled back on i-0000000000000009");
  }

  @Test
  void startFirst_newPortServesBeforeOldLeaves() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.START_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    assertThat(host.runtime.journal())
        .containsSubsequence(
            "create web-next " + V2.digest().shortForm(),
            "start web-next",
            "register " + ME + ":18081",
            "deregister " + ME + ":18080",
            "stop web",
            "rename web web-previous",
            "rename web-next web");
    assertThat(group[0].state(ME, 18081)).contains("healthy");
    assertThat(group[0].state(ME, 18080)).isEmpty();
    // The next deploy alternates back to the first port.
    host.pin("web", V1);
    host.time.advance(Duration.ofMinutes(2));
    host.pass();
    assertThat(group[0].state(ME, 18080)).contains("healthy");
    assertThat(group[0].state(ME, 18081)).isEmpty();
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
  }

  @Test
  void startFirst_containerOnTheSecondPort_isProbedThereAndLeftAlone() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.START_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    int journal = host.runtime.journal().size();
    for (int i = 0; i < 2 * Reconciler.UNHEALTHY_PASSES; i++) {
      host.pass();
    }
    // No redeploy: the per-pass probe goes to 18081, where the container now listens.
    assertThat(host.runtime.journal().subList(journal, host.runtime.journal().size()))
        .noneMatch(e -> e.startsWith("create") || e.startsWith("stop"));
    assertThat(host.events).doesNotContain("drift web unhealthy");
  }

  @Test
  void switchedFromStartFirstToStopFirst_drainsThePortTheContainerReallyUses() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.START_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    assertThat(group[0].state(ME, 18081)).contains("healthy");
    host.reconfigure(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    host.pass();
    // In sync on the second port: left registered there, nothing registered where nobody listens.
    assertThat(group[0].state(ME, 18081)).contains("healthy");
    assertThat(group[0].state(ME, 18080)).isEmpty();
    host.pin("web", V1);
    host.pass();
    assertThat(host.runtime.journal())
        .containsSubsequence(
            "deregister " + ME + ":18081",
            "stop web",
            "create web " + V1.digest().shortForm(),
            "register " + ME + ":18080");
    assertThat(group[0].state(ME, 18080)).contains("healthy");
    assertThat(group[0].state(ME, 18081)).isEmpty();
  }

  @Test
  void startFirst_takesTurnsLikeStopFirst() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.START_FIRST, group);
    host.pin("web", V1);
    host.pass();
    group[0].set("i-0000000000000000", 18080, "healthy");
    String pool = host.services.get(0).traffic().targetGroupArn().value();
    assertThat(host.turns.acquire(pool, 1, "i-0000000000000000", Duration.ofHours(1))).isPresent();
    host.pin("web", V2);
    host.pass();
    // A peer holds the turn: the new image is not even started here.
    assertThat(host.runtime.journal()).noneMatch(e -> e.startsWith("create web-next"));
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
  }

  @Test
  void startFirst_badImageNeverLeavesTheOldContainer() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.START_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.pin("web", BAD);
    host.pass();
    assertThat(host.events).contains("deploy web rolled_back");
    assertThat(host.runtime.journal())
        .doesNotContain("stop web")
        .doesNotContain("deregister " + ME + ":18080");
    assertThat(host.runtime.inspect("web-next")).isEmpty();
    assertThat(group[0].state(ME, 18080)).contains("healthy");
  }

  /**
   * A group that checks every 5 s and needs 2 passes, read through a lag: for {@code staleFor}
   * after each RegisterTargets, DescribeTargetHealth still answers the {@code healthy} from before
   * the host left. Records each read after a registration as seconds since it and the answer, the
   * reads while deregistered and how long the host stayed out of the group. The drain timeout and
   * the group's deregistration delay are the fake's unless a test sets them.
   */
  private static final class LaggedGroupGate implements TrafficGate {
    final TrafficGate real;
    final FakeTime time;
    final Duration staleFor;

    /** This host's target as read since its latest registration, by a census or by itself. */
    final List<String> readsAfterRegister = new ArrayList<>();

    Instant registeredAt;
    Instant deregisteredAt;
    int readsWhileDeregistered;
    Duration outOfGroup;
    Duration drainFor;
    Optional<Duration> delay;

    LaggedGroupGate(TrafficGate real, FakeTime time, Duration staleFor) {
      this.real = real;
      this.time = time;
      this.staleFor = staleFor;
    }

    @Override
    public void register(TrafficSpec traffic, int hostPort) {
      real.register(traffic, hostPort);
      registeredAt = time.instant();
      readsAfterRegister.clear();
      if (deregisteredAt != null) {
        outOfGroup = Duration.between(deregisteredAt, registeredAt);
      }
    }

    @Override
    public void deregister(TrafficSpec traffic, int hostPort) {
      real.deregister(traffic, hostPort);
      registeredAt = null;
      deregisteredAt = time.instant();
    }

    @Override
    public TargetState state(TrafficSpec traffic, int hostPort) {
      if (registeredAt == null) {
        readsWhileDeregistered += deregisteredAt == null ? 0 : 1;
        return real.state(traffic, hostPort);
      }
      Duration since = Duration.between(registeredAt, time.instant());
      TargetState state =
          since.compareTo(staleFor) < 0 ? TargetState.HEALTHY : real.state(traffic, hostPort);
      readsAfterRegister.add(since.toSeconds() + "s " + state.label());
      return state;
    }

    /**
     * {@code real} with this host's registered target read through this gate's lag: a census of the
     * group lags as a read of one target does.
     */
    FleetCoordinator fleet(FleetCoordinator real) {
      return new ForwardingFleetCoordinator(real) {
        @Override
        public List<PeerTarget> targets(ServiceSpec service) {
          List<PeerTarget> out = new ArrayList<>();
          for (PeerTarget t : super.targets(service)) {
            out.add(
                t.instanceId().equals(ME) && registeredAt != null
                    ? new PeerTarget(ME, t.port(), state(service.traffic(), t.port()))
                    : t);
          }
          return out;
        }
      };
    }

    @Override
    public Duration drainTimeout(TrafficSpec traffic) {
      return drainFor != null ? drainFor : real.drainTimeout(traffic);
    }

    @Override
    public Optional<Duration> deregistrationDelay(TrafficSpec traffic) {
      return delay != null ? delay : real.deregistrationDelay(traffic);
    }

    @Override
    public TargetHealthCheck healthCheck(TrafficSpec traffic) {
      return new TargetHealthCheck(Duration.ofSeconds(5), 2);
    }
  }

  private LaggedGroupGate laggedHost(AgentHarness host, Duration staleFor) {
    FakeTargetGroup group = new FakeTargetGroup(host.runtime::record);
    LaggedGroupGate gate = new LaggedGroupGate(group.gate(ME), host.time, staleFor);
    host.traffic = gate;
    host.fleet = gate.fleet(group.fleet(ME));
    host.restartAgent();
    host.runtime.publish(V1, Behaviour.HEALTHY).publish(V2, Behaviour.HEALTHY);
    return gate;
  }

  /**
   * Rule 3 of docs/design/fleet-at-scale.md: the first DescribeTargetHealth after RegisterTargets
   * comes when the group can have called the target healthy (2 checks 5 s apart, one interval
   * more), so the lagged {@code healthy} of the 12 s before is never read and the turn is held
   * until the target is really back.
   */
  @Test
  void register_readsTheTarget_onlyOnceTheGroupsChecksCanHaveMadeItHealthy() throws Exception {
    AgentHarness host =
        new AgentHarness(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    LaggedGroupGate gate = laggedHost(host, Duration.ofSeconds(12));
    host.pin("web", V1);
    host.pass();
    gate.readsAfterRegister.clear();

    host.pin("web", V2);
    host.pass();

    assertThat(host.events).contains("deploy web success");
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(gate.readsAfterRegister).containsExactly("15s healthy");
  }

  /**
   * A deadline shorter than the group's checks forces a read before they can have passed: its
   * {@code healthy} is the lagged one and is not believed, so the deploy does not end as if the
   * target were back (the previous container is restored and registered instead).
   */
  @Test
  void register_aHealthySoonerThanTheGroupsChecksAllow_isNotBelieved() throws Exception {
    ServiceSpec web = Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
    TrafficSpec t = web.traffic();
    AgentHarness host =
        new AgentHarness(
            Specs.withTraffic(
                web,
                new TrafficSpec(
                    t.targetGroupArn(),
                    t.port(),
                    t.drainTimeout(),
                    t.drainTimeoutCap(),
                    Duration.ofSeconds(8))));
    LaggedGroupGate gate = laggedHost(host, Duration.ofHours(1));
    host.pin("web", V1);
    host.pass();

    host.pin("web", V2);
    host.pass();

    assertThat(host.events).doesNotContain("deploy web success");
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(gate.readsAfterRegister).isNotEmpty().allMatch(r -> r.endsWith(" healthy"));
  }

  /**
   * Deploys V1 then V2 over a group draining for 20 s whose delay the gate reads as {@code delay}.
   */
  private LaggedGroupGate deployWithA20sDrain(Optional<Duration> delay) throws Exception {
    AgentHarness host =
        new AgentHarness(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    LaggedGroupGate gate = laggedHost(host, Duration.ZERO);
    gate.drainFor = Duration.ofSeconds(20);
    gate.delay = delay;
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    assertThat(host.events).contains("deploy web success");
    return gate;
  }

  /**
   * ELBv2 shows a deregistered target draining for the group's whole delay: with the delay known,
   * DEREGISTER waits it out without a DescribeTargetHealth (the account's Describe* budget).
   */
  @Test
  void deregister_withTheGroupsDelayKnown_drainsItOut_withoutReadingTheTarget() throws Exception {
    LaggedGroupGate gate = deployWithA20sDrain(Optional.of(Duration.ofSeconds(20)));

    assertThat(gate.readsWhileDeregistered).isZero();
    assertThat(gate.outOfGroup).isGreaterThanOrEqualTo(Duration.ofSeconds(20));
  }

  /** Without the delay, the target is polled and the drain ends as soon as it is gone. */
  @Test
  void deregister_withTheGroupsDelayUnknown_pollsAndEndsOnceTheTargetIsGone() throws Exception {
    LaggedGroupGate gate = deployWithA20sDrain(Optional.empty());

    assertThat(gate.readsWhileDeregistered).isPositive();
    assertThat(gate.outOfGroup).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void healthyContainerOutOfTheGroup_isRegisteredAgain() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    group[0].gate(ME).deregister(host.services.get(0).traffic(), 18080);
    host.pass();
    // No per-pass ELBv2 call for a host in sync: the registration is checked every 15 minutes.
    assertThat(group[0].state(ME, 18080)).isEmpty();
    host.time.advance(Duration.ofMinutes(16));
    host.pass();
    assertThat(group[0].state(ME, 18080)).contains("healthy");
  }

  @Test
  void terminationNotice_deregistersAndStopsDeploying() throws Exception {
    FakeTargetGroup[] group = new FakeTargetGroup[1];
    AgentHarness host = host(RolloutSpec.Strategy.STOP_FIRST, group);
    host.pin("web", V1);
    host.pass();
    host.terminationNotice = "spot interruption";
    host.pin("web", V2);
    host.pass();
    host.pass();
    assertThat(group[0].state(ME, 18080)).isEmpty();
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
  }
}
