package dev.driftguard.reconcile;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.host.StateStore;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.runtime.ImagePullException;
import dev.driftguard.testing.FakeContainerRuntime.Behaviour;
import dev.driftguard.testing.FakeTargetGroup;
import dev.driftguard.testing.ForwardingFleetCoordinator;
import dev.driftguard.testing.ForwardingTurnLease;
import dev.driftguard.testing.Specs;
import dev.driftguard.traffic.TrafficGate;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * DESIGN 3's rules under faults, on the real loop and deploy steps in virtual time: a fault is
 * never a verdict, every path ends with one container serving and registered, and a host never
 * stays empty.
 */
class FaultScenarioTest {
  private static final ImageRef V1 = image('1');
  private static final ImageRef V2 = image('2');
  private static final ImageRef BAD = image('b');
  private static final String ME = "i-0000000000000001";

  /** A gate over the fake target group that fails its next calls on demand, as ELBv2 can. */
  private static final class FlakyGate implements TrafficGate {
    final TrafficGate real;
    int failRegister;
    int failDeregister;

    /** When each DeregisterTargets was tried, by the harness's clock (set when asked for). */
    final List<Instant> deregisterTries = new ArrayList<>();

    java.time.Clock clock;
    int refuseDeregister;
    int failState;
    int failHealthCheck;

    FlakyGate(TrafficGate real) {
      this.real = real;
    }

    private static TrafficGateException throttled(String op) {
      return new TrafficGateException("ELBv2 " + op + " failed: Throttling (HTTP 400)", true, null);
    }

    @Override
    public void register(TrafficSpec traffic, int hostPort) {
      if (failRegister-- > 0) {
        throw throttled("RegisterTargets");
      }
      real.register(traffic, hostPort);
    }

    @Override
    public void deregister(TrafficSpec traffic, int hostPort) {
      if (clock != null) {
        deregisterTries.add(clock.instant());
      }
      if (failDeregister-- > 0) {
        throw throttled("DeregisterTargets");
      }
      if (refuseDeregister-- > 0) {
        throw new TrafficGateException(
            "ELBv2 DeregisterTargets failed: AccessDenied (HTTP 403)", false, null);
      }
      real.deregister(traffic, hostPort);
    }

    @Override
    public TargetState state(TrafficSpec traffic, int hostPort) {
      if (failState-- > 0) {
        throw throttled("DescribeTargetHealth");
      }
      return real.state(traffic, hostPort);
    }

    @Override
    public Duration drainTimeout(TrafficSpec traffic) {
      return real.drainTimeout(traffic);
    }

    @Override
    public java.util.Optional<Duration> deregistrationDelay(TrafficSpec traffic) {
      return real.deregistrationDelay(traffic);
    }

    @Override
    public TargetHealthCheck healthCheck(TrafficSpec traffic) {
      if (failHealthCheck-- > 0) {
        throw throttled("DescribeTargetGroups");
      }
      return real.healthCheck(traffic);
    }

    /** The group's settings as this gate knows them, read or adopted (an ELBv2 gate's cache). */
    GroupSettings known;

    int learned;
    int adopted;

    @Override
    public void learnGroupSettings(TrafficSpec traffic) {
      learned++;
      known =
          new GroupSettings(
              real.deregistrationDelay(traffic).orElse(Duration.ZERO), healthCheck(traffic));
    }

    @Override
    public Optional<GroupSettings> knownGroupSettings(TrafficSpec traffic) {
      return Optional.ofNullable(known);
    }

    @Override
    public void adoptGroupSettings(TrafficSpec traffic, GroupSettings settings) {
      adopted++;
      known = settings;
    }
  }

  /** The fleet over the fake target group, throttling its next reads on demand, as AWS can. */
  private static final class FlakyFleet extends ForwardingFleetCoordinator {
    int failTargets;
    int failRolledBackBy;
    int targetReads;

    FlakyFleet(FleetCoordinator real) {
      super(real);
    }

    @Override
    public List<PeerTarget> targets(ServiceSpec service) {
      targetReads++;
      if (failTargets-- > 0) {
        throw new FleetCoordinationException(
            "ELBv2 DescribeTargetHealth failed: Throttling (HTTP 400)", true, null);
      }
      return super.targets(service);
    }

    @Override
    public Optional<String> rolledBackBy(ServiceSpec service, dev.driftguard.model.Digest digest) {
      if (failRolledBackBy-- > 0) {
        throw new FleetCoordinationException(
            "EC2 DescribeTags failed: RequestLimitExceeded (HTTP 503)", true, null);
      }
      return super.rolledBackBy(service, digest);
    }
  }

  private FakeTargetGroup group;
  private FlakyGate gate;
  private FlakyFleet fleet;

  private AgentHarness host(ServiceSpec service) {
    AgentHarness host = new AgentHarness(service);
    group = new FakeTargetGroup(host.runtime::record);
    gate = new FlakyGate(group.gate(ME));
    host.traffic = gate;
    fleet = new FlakyFleet(group.fleet(ME));
    host.fleet = fleet;
    host.restartAgent();
    host.runtime
        .publish(V1, Behaviour.HEALTHY)
        .publish(V2, Behaviour.HEALTHY)
        .publish(BAD, Behaviour.UNHEALTHY);
    return host;
  }

  private AgentHarness webHost() throws Exception {
    AgentHarness host = host(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    host.pin("web", V1);
    host.pass();
    return host;
  }

  private void assertServingAndRegistered(AgentHarness host, ImageRef image) {
    assertThat(host.runningDigest("web")).isEqualTo(image.digest().value());
    assertThat(host.runtime.inspect("web").orElseThrow().running()).isTrue();
    assertThat(group.state(ME, 18080)).contains("healthy");
    assertThat(host.store.load().get("web").phase()).isEqualTo(Phase.IDLE);
  }

  /**
   * Between STOP and START a stop-first host has no container: nothing that can wait on AWS (the
   * published state's CreateTags retries for seconds while EC2 throttles) comes before the start.
   */
  @Test
  void stopFirst_startsTheNewContainer_beforePublishingAnything() throws Exception {
    AgentHarness host = webHost();
    FleetCoordinator real = host.fleet;
    host.fleet =
        new FleetCoordinator() {
          @Override
          public List<PeerTarget> targets(ServiceSpec service) {
            return real.targets(service);
          }

          @Override
          public java.util.Optional<String> rolledBackBy(
              ServiceSpec service, dev.driftguard.model.Digest digest) {
            return real.rolledBackBy(service, digest);
          }

          @Override
          public Map<String, dev.driftguard.model.Digest> peersRunning(ServiceSpec service) {
            return real.peersRunning(service);
          }

          @Override
          public void publish(ServiceSpec service, PublishedState state) {
            host.runtime.record("publish " + state.phase());
            real.publish(service, state);
          }

          @Override
          public void flush() {
            real.flush();
          }
        };
    host.restartAgent();
    host.pin("web", V2);
    host.pass();
    assertServingAndRegistered(host, V2);

    List<String> journal = host.runtime.journal();
    int stopped = journal.lastIndexOf("rename web web-previous");
    int started = journal.lastIndexOf("start web");
    assertThat(stopped).isPositive().isLessThan(started);
    assertThat(journal.subList(stopped, started)).noneMatch(entry -> entry.startsWith("publish"));
  }

  @Test
  void pullFault_endsTheAttempt_condemnsNothing_andIsRetriedWithBackoff() throws Exception {
    AgentHarness host = webHost();
    host.runtime.failNext(
        "pull", new ImagePullException("pull of v2: 503 Service Unavailable", null));
    host.pin("web", V2);
    host.loop.runOnce();
    assertThat(host.events).contains("deploy web failed");
    assertServingAndRegistered(host, V1);
    assertThat(host.store.load().get("web").failed()).isNull();
    assertThat(group.published(ME)).containsEntry("failed", "");
    // Not on the very next poll: after a backoff.
    assertThat(host.loop.runOnce().actions().get("web")).isInstanceOf(Action.Hold.class);
    host.time.advance(Duration.ofMinutes(1));
    host.pass();
    assertServingAndRegistered(host, V2);
  }

  /**
   * RegisterTargets, then DescribeTargetGroups (the group's health-check settings), throttled: four
   * faults in a row back off for at most 15 + 30 + 60 + 120 s, inside the 300 s deadline.
   */
  @Test
  void registerThrottled_isRetriedInPlace_andTheDeploySucceeds() throws Exception {
    AgentHarness host = webHost();
    gate.failRegister = 2;
    gate.failHealthCheck = 2;
    host.pin("web", V2);
    host.pass();
    assertThat(host.events).contains("deploy web success").doesNotContain("deploy web failed");
    assertServingAndRegistered(host, V2);
    assertThat(gate.failHealthCheck).isNegative();
  }

  /**
   * The account's buckets refuse the circuit breaker's tags read in PULL, then the gate's reads of
   * the group, also with the turn won: each waits in its phase and reads again (fleet-at-scale.md,
   * rule 7). Ended as faults, they cost backoffs growing to 10 minutes at 2,000 hosts.
   */
  @Test
  void throttledFleetReads_waitInTheirPhase_andTheDeploySucceedsWithoutAFault() throws Exception {
    AgentHarness host = webHost();
    fleet.failRolledBackBy = 2;
    fleet.failTargets = 3;
    host.pin("web", V2);
    host.pass();
    assertThat(host.events).contains("deploy web success").doesNotContain("deploy web failed");
    assertServingAndRegistered(host, V2);
    assertThat(fleet.failRolledBackBy).isNegative();
    assertThat(fleet.failTargets).isNegative();
  }

  /**
   * Once the group's size is known, a host waiting for its turn reads the lease table, not the
   * group; the group is read when the turn is won, and again after deregistering.
   */
  @Test
  void theGate_readsTheGroupOnlyWithATurnWon_onceItsSizeIsKnown() throws Exception {
    AgentHarness host = webHost();
    host.time.advance(Duration.ofMinutes(16)); // the registration check reads the group
    host.pass();
    TurnLease.Lease peer =
        host.turns
            .acquire(
                StepEnv.pool(host.services.get(0)), 1, "i-0000000000000009", Duration.ofMinutes(30))
            .orElseThrow();
    int before = fleet.targetReads;
    host.pin("web", V2);
    for (int i = 0; i < 6; i++) {
      host.time.advance(Duration.ofSeconds(15));
      host.loop.tick();
    }
    assertThat(host.store.load().get("web").phase()).isEqualTo(Phase.GATE);
    assertThat(fleet.targetReads).isEqualTo(before);

    host.turns.release(peer);
    host.pass();
    assertThat(host.events).contains("deploy web success");
    assertServingAndRegistered(host, V2);
    assertThat(fleet.targetReads - before).isBetween(2, 3);
  }

  /**
   * The first deploy reads the group's settings from ELBv2 and shares them in the lease table; an
   * agent started afresh (its cache empty) adopts them there instead of reading ELBv2 again.
   */
  @Test
  void groupSettings_readOnce_areSharedThroughTheLeaseTable_andAdoptedAfterARestart()
      throws Exception {
    AgentHarness host = webHost();
    host.pin("web", V2);
    host.pass();
    assertThat(gate.learned).isEqualTo(1);
    assertThat(host.turns.sharedSettings(StepEnv.pool(host.services.get(0)), Instant.EPOCH))
        .contains(gate.known);

    FlakyGate fresh = new FlakyGate(group.gate(ME));
    host.traffic = fresh;
    host.restartAgent();
    host.pin("web", V1);
    host.pass();
    assertThat(host.events).doesNotContain("deploy web failed");
    assertServingAndRegistered(host, V1);
    assertThat(fresh.learned).isZero();
    assertThat(fresh.adopted).isEqualTo(1);
  }

  @Test
  void registerFailingPastTheDeadline_restoresThePrevious_registered_andCondemnsNothing()
      throws Exception {
    AgentHarness host = webHost();
    gate.failRegister = 1_000_000;
    host.pin("web", V2);
    host.loop.runOnce();
    gate.failRegister = 0;
    // RESTORE keeps trying to register the restored container until ELBv2 answers.
    host.pass();
    assertThat(host.events).contains("deploy web failed").doesNotContain("deploy web rolled_back");
    assertServingAndRegistered(host, V1);
    assertThat(host.store.load().get("web").failed()).isNull();
    assertThat(group.published(ME)).containsEntry("failed", "");
  }

  @Test
  void deregisterRefused_restoresAtOnce_withoutEverStoppingTheOldContainer() throws Exception {
    AgentHarness host = webHost();
    gate.refuseDeregister = 1;
    host.pin("web", V2);
    host.loop.runOnce();
    assertThat(host.runtime.journal()).doesNotContain("stop web");
    assertServingAndRegistered(host, V1);
    assertThat(host.store.load().get("web").failed()).isNull();
  }

  @Test
  void deregisterThrottled_waitsInPhaseWhileServing_thenDeploys_neverAFault() throws Exception {
    AgentHarness host = webHost();
    gate.failDeregister = 3;
    host.pin("web", V2);
    host.loop.runOnce();
    assertThat(host.runtime.journal()).containsSubsequence("stop web", "start web");
    assertServingAndRegistered(host, V2);
    assertThat(host.store.load().get("web").failed()).isNull();
    assertThat(host.store.load().get("web").lastError()).isNull();
  }

  @Test
  void crashAfterStop_thenSecretsUnavailableOnResume_putsThePreviousBackAtOnce() throws Exception {
    ContainerSpec withSecret =
        new ContainerSpec(
            Specs.container().ports(),
            Map.of(),
            Map.of("DATABASE_URL", "/web/database_url"),
            List.of(),
            List.of(),
            "SIGTERM",
            Duration.ofSeconds(10),
            0);
    ServiceSpec web = Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
    web =
        new ServiceSpec(
            web.name(),
            web.desired(),
            web.allowedRegistries(),
            withSecret,
            web.health(),
            web.traffic(),
            web.rollout());
    AgentHarness host = host(web);
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    CrashingStore.crashAfterSaving(host, Phase.START);
    assertThatThrownBy(host::pass).isInstanceOf(CrashingStore.Crash.class);
    assertThat(host.runtime.inspect("web")).isEmpty();
    host.secretsDown = true;
    host.restartAgent();
    host.loop.runOnce();
    assertServingAndRegistered(host, V1);
    assertThat(host.store.load().get("web").failed()).isNull();
    assertThat(host.store.load().get("web").lastError()).contains("ThrottlingException");
  }

  @Test
  void peerRolledBackThePinnedDigest_freshHostWithNothing_startsWhatTheFleetRuns()
      throws Exception {
    AgentHarness host = host(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    FleetCoordinator peer = group.fleet("i-0000000000000009");
    peer.publish(
        host.services.get(0),
        new FleetCoordinator.PublishedState(V1.digest(), "idle", "rolled_back", BAD.digest(), "t"));
    group
        .fleet("i-0000000000000008")
        .publish(
            host.services.get(0),
            new FleetCoordinator.PublishedState(V1.digest(), "idle", "success", null, "t"));
    host.pin("web", BAD);
    host.pass();
    host.pass();
    assertServingAndRegistered(host, V1);
    assertThat(host.store.load().get("web").failed()).isEqualTo(BAD.digest());
  }

  @Test
  void peerRolledBackThePinnedDigest_andNothingElseIsKnown_startsThePinnedOne() throws Exception {
    AgentHarness host = host(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    group
        .fleet("i-0000000000000009")
        .publish(
            host.services.get(0),
            new FleetCoordinator.PublishedState(null, "idle", "rolled_back", V2.digest(), "t"));
    host.pin("web", V2);
    host.pass();
    host.pass();
    assertServingAndRegistered(host, V2);
  }

  @Test
  void workers_takeTurnsToo() throws Exception {
    AgentHarness host = host(Specs.web());
    host.pin("web", V1);
    host.pass();
    assertThat(host.turns.acquire("service/web", 1, "i-0000000000000000", Duration.ofHours(1)))
        .isPresent();
    host.pin("web", V2);
    host.loop.runOnce();
    // A peer holds the only turn: this worker waited, then gave up for now.
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.runtime.journal()).doesNotContain("stop web");
  }

  @Test
  void terminationNotice_whileWaitingForATurn_evacuatesWithinSeconds() throws Exception {
    AgentHarness host = webHost();
    group.set("i-0000000000000002", 18080, "draining");
    host.pin("web", V2);
    Duration next = host.loop.tick();
    for (int i = 0; i < 5 && host.store.load().get("web").phase() != Phase.GATE; i++) {
      next = host.loop.tick();
    }
    assertThat(host.store.load().get("web").phase()).isEqualTo(Phase.GATE);
    host.terminationNotice = "spot interruption";
    Duration waited = Duration.ZERO;
    while (group.state(ME, 18080).isPresent() && waited.compareTo(Duration.ofSeconds(30)) < 0) {
      host.time.advance(next);
      waited = waited.plus(next);
      next = host.loop.tick();
    }
    assertThat(group.state(ME, 18080)).isEmpty();
    assertThat(waited).isLessThanOrEqualTo(Duration.ofSeconds(10));
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
  }

  /**
   * A saturated bucket refuses many tries in a row; each is tried again about a second later, never
   * a fixed second: in the fleet simulator a spot host retrying at a fixed period locked into a
   * phase where a peer's call always took the bucket's next token first, lost all 120 tries and was
   * reclaimed in service.
   */
  @Test
  void terminationNotice_whileDeregistrationIsThrottled_triesAgainAtJitteredIntervalsUntilOut()
      throws Exception {
    AgentHarness host = webHost();
    host.pin("web", V1);
    Duration next = host.loop.tick();
    gate.failDeregister = 15;
    gate.clock = host.time;
    host.terminationNotice = "spot interruption";
    Duration waited = Duration.ZERO;
    while (group.state(ME, 18080).isPresent() && waited.compareTo(Duration.ofMinutes(2)) < 0) {
      host.time.advance(next);
      waited = waited.plus(next);
      next = host.loop.tick();
    }
    assertThat(group.state(ME, 18080)).isEmpty();
    assertThat(gate.failDeregister).isNegative();
    assertThat(waited).isLessThanOrEqualTo(Duration.ofSeconds(30));
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < gate.deregisterTries.size(); i++) {
      gaps.add(
          Duration.between(gate.deregisterTries.get(i - 1), gate.deregisterTries.get(i))
              .toMillis());
    }
    assertThat(gaps).hasSize(15).allSatisfy(ms -> assertThat(ms).isBetween(500L, 1_500L));
    assertThat(new java.util.HashSet<>(gaps)).hasSizeGreaterThan(7);
  }

  /**
   * RegisterTargets throttled for minutes (the account's registration bucket saturated): the host
   * backs off while out of service, but wakes in time to renew its turn lease, so no peer can take
   * the slot meanwhile. Sleeping through a backoff longer than the lease let leases expire (the
   * fleet simulator at 5,000 hosts: 573 hosts out of service, 500 allowed).
   */
  @Test
  void registerThrottledForMinutes_renewsTheTurnLeaseBeforeItExpires() throws Exception {
    AgentHarness host = webHost();
    List<String> late = new ArrayList<>();
    int[] renewals = {0};
    host.turns =
        new ForwardingTurnLease(host.turns) {
          @Override
          public boolean renew(Lease lease, Duration ttl) {
            renewals[0]++;
            // Woken in time: a quarter of the lease still left, not a lapse of it closed by luck.
            if (host.time.instant().isAfter(lease.expiresAt().minus(ttl.dividedBy(4)))) {
              late.add("renewed at " + host.time.instant() + ", expiring at " + lease.expiresAt());
            }
            return super.renew(lease, ttl);
          }
        };
    host.restartAgent();
    // Five backoffs, doubling from 15 s (jittered): the last ones outlast the lease's 2 minutes.
    gate.failRegister = 5;
    host.pin("web", V2);
    host.pass();
    assertThat(late).isEmpty();
    assertThat(renewals[0]).isPositive();
    assertThat(host.events).contains("deploy web success").doesNotContain("deploy web failed");
    assertServingAndRegistered(host, V2);
  }

  @Test
  void turnLeaseThrottled_waitsAtTheGateWhileServing_thenDeploys_neverAFault() throws Exception {
    AgentHarness host = webHost();
    TurnLease table = host.turns;
    int[] refusals = {3};
    host.turns =
        new ForwardingTurnLease(table) {
          @Override
          public java.util.Optional<Lease> acquire(
              String pool, int slots, String owner, Duration ttl) {
            if (refusals[0]-- > 0) {
              throw new FleetCoordinationException(
                  "DynamoDB Query failed: ProvisionedThroughputExceededException", true, null);
            }
            return super.acquire(pool, slots, owner, ttl);
          }
        };
    host.restartAgent();
    host.pin("web", V2);
    host.loop.runOnce();
    assertThat(refusals[0]).isNegative();
    assertServingAndRegistered(host, V2);
    assertThat(host.store.load().get("web").lastError()).isNull();
  }

  @Test
  void unwritableStateDirectory_keepsServing_andSaysSo() throws Exception {
    AgentHarness host = webHost();
    List<String> saves = new ArrayList<>();
    StateStore broken =
        new StateStore() {
          @Override
          public Map<String, ServiceState> load() {
            return host.store.load();
          }

          @Override
          public void save(ServiceState state) {
            saves.add(state.phase().label());
            throw new dev.driftguard.model.DriftguardException(
                "cannot write state file: No space left on device");
          }
        };
    StateBook states = new StateBook(broken);
    host.replaceStates(states);
    host.pin("web", V2);
    host.pass();
    assertThat(saves).isNotEmpty();
    assertThat(states.writeError())
        .hasValueSatisfying(e -> assertThat(e).contains("No space left"));
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(group.state(ME, 18080)).contains("healthy");
  }

  @Test
  void badImage_isStillCondemned_andPublished() throws Exception {
    AgentHarness host = webHost();
    host.pin("web", BAD);
    host.pass();
    assertThat(host.events).contains("deploy web rolled_back");
    assertServingAndRegistered(host, V1);
    assertThat(group.published(ME)).containsEntry("failed", BAD.digest().value());
  }
}
