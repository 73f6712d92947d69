package dev.driftguard.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetState;
import dev.driftguard.testing.ContractTargetGroupSuite;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.Specs;
import dev.driftguard.testing.aws.Await;
import dev.driftguard.traffic.TrafficGate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link FleetCoordinator} must do, run against the AWS adapter (real SDK clients, local
 * endpoint: ELBv2 target health and EC2 tags) and the fake the unit tests use, so the fake cannot
 * drift from the adapter. Each host has one coordinator and one gate on the same target group;
 * publishing runs in virtual time (a {@link FakeTime}).
 *
 * <p>Target health changes on the group's schedule, so states are awaited, bounded, until the
 * fleet's view and the host's own gate agree.
 */
@Timeout(30)
public abstract class FleetCoordinatorContract extends ContractTargetGroupSuite {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Longer than any publish interval: what was held back goes out with the next flush. */
  private static final Duration LATER = Duration.ofHours(1);

  private static final Digest V1 = Digest.parse("sha256:" + "1".repeat(64));
  private static final Digest V2 = Digest.parse("sha256:" + "2".repeat(64));

  private final FakeTime time = FakeTime.startingAt("2026-01-01T00:00:00Z");
  private final Map<String, FleetCoordinator> fleets = new HashMap<>();

  private FleetCoordinator fleet(String host) {
    return fleets.computeIfAbsent(host, h -> group.fleet(h, time));
  }

  private ServiceSpec web() {
    return Specs.webBehind(group.targetGroupArn(), null, Duration.ofMinutes(5));
  }

  private static ServiceSpec worker() {
    return Specs.service("worker", Specs.container(), true);
  }

  private PublishedState state(Digest running, String phase, String outcome, Digest failed) {
    return new PublishedState(running, phase, outcome, failed, time.instant().toString());
  }

  private void register(String host, int port) {
    group.gate(host).register(web().traffic(), port);
  }

  /** Awaits until {@code host}'s gate reports {@code state} for its target on {@code port}. */
  private boolean becomes(String host, int port, TargetState state) throws Exception {
    TrafficGate gate = group.gate(host);
    return Await.until(WAIT, () -> gate.state(web().traffic(), port) == state);
  }

  // ---- targets ---------------------------------------------------------------------------------

  @Test
  void targets_ofAServiceWithoutALoadBalancer_isEmpty() {
    String me = group.newHost();
    register(me, group.port());

    assertThat(fleet(me).targets(Specs.web())).isEmpty();
  }

  @Test
  void targets_ofAnEmptyGroup_isEmpty() {
    assertThat(fleet(group.newHost()).targets(web())).isEmpty();
  }

  @Test
  void targets_listsEveryHostsTarget_thisHostIncluded_withTheStateItsGateReports()
      throws Exception {
    String me = group.newHost();
    String peer = group.newHost();
    register(me, group.port());
    register(peer, group.port());
    register(peer, group.otherPort());
    assertThat(becomes(me, group.port(), TargetState.HEALTHY)).isTrue();
    assertThat(becomes(peer, group.port(), TargetState.HEALTHY)).isTrue();
    assertThat(becomes(peer, group.otherPort(), TargetState.HEALTHY)).isTrue();

    assertThat(fleet(me).targets(web()))
        .containsExactlyInAnyOrder(
            new PeerTarget(me, group.port(), TargetState.HEALTHY),
            new PeerTarget(peer, group.port(), TargetState.HEALTHY),
            new PeerTarget(peer, group.otherPort(), TargetState.HEALTHY));
  }

  @Test
  void targets_aTargetNewlyRegistered_isInService() {
    String me = group.newHost();
    register(me, group.port());

    assertThat(fleet(me).targets(web()))
        .singleElement()
        .satisfies(t -> assertThat(t.state().inService()).isTrue());
  }

  @Test
  void targets_aTargetFailingItsHealthChecks_isUnhealthy() throws Exception {
    String me = group.newHost();
    String peer = group.newHost();
    register(peer, group.otherPort());
    group.failChecks(group.otherPort());
    assertThat(becomes(peer, group.otherPort(), TargetState.UNHEALTHY)).isTrue();

    assertThat(fleet(me).targets(web()))
        .containsExactly(new PeerTarget(peer, group.otherPort(), TargetState.UNHEALTHY));
  }

  @Test
  void targets_aDeregisteredPeer_isOutOfServiceAtOnce_andThenGone() throws Exception {
    String me = group.newHost();
    String peer = group.newHost();
    register(me, group.port());
    register(peer, group.port());
    assertThat(becomes(peer, group.port(), TargetState.HEALTHY)).isTrue();

    group.gate(peer).deregister(web().traffic(), group.port());

    assertThat(fleet(me).targets(web()))
        .filteredOn(t -> t.instanceId().equals(peer))
        .allSatisfy(t -> assertThat(t.state().inService()).isFalse());
    assertThat(
            Await.until(
                WAIT,
                () ->
                    fleet(me).targets(web()).stream().noneMatch(t -> t.instanceId().equals(peer))))
        .isTrue();
    assertThat(fleet(me).targets(web())).extracting(PeerTarget::instanceId).containsExactly(me);
  }

  // ---- published state -------------------------------------------------------------------------

  @Test
  void publish_isReadBackAsPublished() {
    String me = group.newHost();
    PublishedState published = state(V1, "health", "rolled_back", V2);

    fleet(me).publish(web(), published);

    assertThat(group.published(me, web())).hasValue(published);
    assertThat(group.published(me, worker())).isEmpty();
  }

  @Test
  void publish_withoutRunningOrFailedDigest_isReadBackWithout() {
    String me = group.newHost();
    PublishedState published = state(null, "pull", "", null);

    fleet(me).publish(web(), published);

    assertThat(group.published(me, web())).hasValue(published);
  }

  @Test
  void publish_theLatestStateGoesOut_byTheNextFlushOnceTheIntervalPassed() {
    String me = group.newHost();
    fleet(me).publish(web(), state(V1, "idle", "success", null));
    fleet(me).publish(web(), state(V1, "pull", "success", null));
    PublishedState last = state(V2, "deregister", "success", null);
    fleet(me).publish(web(), last);

    time.advance(LATER);
    fleet(me).flush();

    assertThat(group.published(me, web())).hasValue(last);
  }

  @Test
  void publish_ofEachServiceIsItsOwn() {
    String me = group.newHost();
    PublishedState forWeb = state(V1, "idle", "success", null);
    PublishedState forWorker = state(V2, "pull", "", null);

    fleet(me).publish(web(), forWeb);
    fleet(me).publish(worker(), forWorker);

    assertThat(group.published(me, web())).hasValue(forWeb);
    assertThat(group.published(me, worker())).hasValue(forWorker);
  }

  @Test
  void flush_withNothingHeldBack_changesNothing() {
    String me = group.newHost();
    fleet(me).flush();
    PublishedState published = state(V1, "idle", "success", null);
    fleet(me).publish(web(), published);
    time.advance(LATER);

    fleet(me).flush();

    assertThat(group.published(me, web())).hasValue(published);
  }

  // ---- circuit breaker ------------------------------------------------------------------------

  @Test
  void rolledBackBy_namesAPeerThatPublishedTheDigestAsFailed() {
    String me = group.newHost();
    String peer = group.newHost();
    String otherPeer = group.newHost();
    fleet(peer).publish(web(), state(V1, "idle", "rolled_back", V2));
    fleet(otherPeer).publish(web(), state(V1, "idle", "rolled_back", V2));

    assertThat(fleet(me).rolledBackBy(web(), V2)).get().isIn(peer, otherPeer);
    assertThat(fleet(me).rolledBackBy(web(), V1)).isEmpty();
  }

  @Test
  void rolledBackBy_seesAFailedDigestAtOnce_evenRightAfterAnotherPublish() {
    String me = group.newHost();
    String peer = group.newHost();
    fleet(peer).publish(web(), state(V1, "health", "", null));

    fleet(peer).publish(web(), state(V1, "idle", "rolled_back", V2));

    assertThat(fleet(me).rolledBackBy(web(), V2)).hasValue(peer);
  }

  @Test
  void rolledBackBy_leavesOutThisHost_butItsPeersSeeIt() {
    String me = group.newHost();
    String peer = group.newHost();

    fleet(me).publish(web(), state(V1, "idle", "rolled_back", V2));

    assertThat(fleet(me).rolledBackBy(web(), V2)).isEmpty();
    assertThat(fleet(peer).rolledBackBy(web(), V2)).hasValue(me);
  }

  @Test
  void rolledBackBy_leavesOutOtherServices() {
    String me = group.newHost();
    String peer = group.newHost();

    fleet(peer).publish(worker(), state(V1, "idle", "rolled_back", V2));

    assertThat(fleet(me).rolledBackBy(web(), V2)).isEmpty();
    assertThat(fleet(me).rolledBackBy(worker(), V2)).hasValue(peer);
  }

  @Test
  void rolledBackBy_isEmptyAgain_onceThePeerClearsItsFailedDigest() {
    String me = group.newHost();
    String peer = group.newHost();
    fleet(peer).publish(web(), state(V1, "idle", "rolled_back", V2));

    fleet(peer).publish(web(), state(V1, "idle", "success", null));

    assertThat(fleet(me).rolledBackBy(web(), V2)).isEmpty();
  }

  // ---- peers running --------------------------------------------------------------------------

  @Test
  void peersRunning_isEachPeersRunningDigest_withoutThisHost_norPeersRunningNothing() {
    String me = group.newHost();
    String peer = group.newHost();
    String otherPeer = group.newHost();
    String idlePeer = group.newHost();
    fleet(me).publish(web(), state(V2, "idle", "success", null));
    fleet(peer).publish(web(), state(V1, "idle", "success", null));
    fleet(otherPeer).publish(web(), state(V2, "idle", "success", null));
    fleet(idlePeer).publish(web(), state(null, "idle", "", null));

    assertThat(fleet(me).peersRunning(web()))
        .containsExactlyInAnyOrderEntriesOf(Map.of(peer, V1, otherPeer, V2));
  }

  @Test
  void peersRunning_leavesOutOtherServices() {
    String me = group.newHost();
    String peer = group.newHost();

    fleet(peer).publish(worker(), state(V1, "idle", "success", null));

    assertThat(fleet(me).peersRunning(web())).isEmpty();
    assertThat(fleet(me).peersRunning(worker())).isEqualTo(Map.of(peer, V1));
  }

  @Test
  void peersRunning_followsThePeersLatestPublishedState() {
    String me = group.newHost();
    String peer = group.newHost();
    fleet(peer).publish(web(), state(V1, "idle", "success", null));
    time.advance(LATER);

    fleet(peer).publish(web(), state(V2, "idle", "success", null));

    assertThat(fleet(me).peersRunning(web())).isEqualTo(Map.of(peer, V2));
  }
}
