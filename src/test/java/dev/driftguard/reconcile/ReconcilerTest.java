package dev.driftguard.reconcile;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Labels;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.testing.Specs;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconcilerTest {
  private static final ServiceSpec WEB = Specs.web();
  private static final ImageRef V1 = image('1');
  private static final ImageRef V2 = image('2');

  private static ContainerInfo running(ImageRef image) {
    return container(
        image,
        ContainerInfo.State.RUNNING,
        ContainerInfo.Health.HEALTHY,
        RunSpec.specHashOf(WEB.container()));
  }

  private static ContainerInfo container(
      ImageRef image, ContainerInfo.State state, ContainerInfo.Health health, String specHash) {
    Map<String, String> labels =
        Map.of(
            Labels.SERVICE,
            "web",
            Labels.DIGEST,
            image.digest().value(),
            Labels.SPEC_HASH,
            specHash,
            Labels.IMAGE,
            image.pinned());
    return new ContainerInfo("id", "web", "img", labels, state, health, 0, 0, Instant.EPOCH);
  }

  private static ObservedService observed(ContainerInfo current, ServiceState state) {
    return new ObservedService(current, null, null, state, 0);
  }

  private static ServiceState idle() {
    return ServiceState.initial("web");
  }

  private static DesiredState pinned(ImageRef image) {
    return new DesiredState.Pinned(image, 1);
  }

  private static DesiredState rejected() {
    return new DesiredState.Rejected(
        DesiredState.RejectReason.TAG_WITHOUT_DIGEST, "not pinned", "f");
  }

  @Test
  void decide_whenRunningDesiredDigestHealthy_isInSync() {
    assertThat(Reconciler.decide(WEB, pinned(V1), observed(running(V1), idle())))
        .isInstanceOf(Action.InSync.class);
  }

  @Test
  void decide_whenDigestChanged_deploys() {
    Action action = Reconciler.decide(WEB, pinned(V2), observed(running(V1), idle()));
    assertThat(action).isEqualTo(new Action.Deploy(V2, Set.of(DriftReason.DIGEST)));
  }

  @Test
  void decide_whenNoContainer_deploysMissing() {
    assertThat(Reconciler.decide(WEB, pinned(V1), observed(null, idle())))
        .isEqualTo(new Action.Deploy(V1, Set.of(DriftReason.MISSING)));
  }

  @Test
  void decide_whenSpecHashDiffers_deploysSpec() {
    ContainerInfo old =
        container(V1, ContainerInfo.State.RUNNING, ContainerInfo.Health.HEALTHY, "otherhash");
    assertThat(Reconciler.decide(WEB, pinned(V1), observed(old, idle())))
        .isEqualTo(new Action.Deploy(V1, Set.of(DriftReason.SPEC)));
  }

  @Test
  void decide_whenExitedSameImage_restarts() {
    ContainerInfo exited =
        container(
            V1,
            ContainerInfo.State.EXITED,
            ContainerInfo.Health.NONE,
            RunSpec.specHashOf(WEB.container()));
    assertThat(Reconciler.decide(WEB, pinned(V1), observed(exited, idle())))
        .isEqualTo(new Action.Restart(Set.of(DriftReason.EXITED)));
  }

  @Test
  void decide_whenExitedAndDigestChanged_deploysBoth() {
    ContainerInfo exited =
        container(
            V1,
            ContainerInfo.State.EXITED,
            ContainerInfo.Health.NONE,
            RunSpec.specHashOf(WEB.container()));
    assertThat(Reconciler.decide(WEB, pinned(V2), observed(exited, idle())))
        .isEqualTo(new Action.Deploy(V2, Set.of(DriftReason.DIGEST, DriftReason.EXITED)));
  }

  @Test
  void decide_whenDockerReportsUnhealthy_redeploys() {
    ContainerInfo sick =
        container(
            V1,
            ContainerInfo.State.RUNNING,
            ContainerInfo.Health.UNHEALTHY,
            RunSpec.specHashOf(WEB.container()));
    assertThat(Reconciler.decide(WEB, pinned(V1), observed(sick, idle())))
        .isEqualTo(new Action.Deploy(V1, Set.of(DriftReason.UNHEALTHY)));
  }

  @Test
  void decide_whenProbeFailedSeveralPasses_redeploysUnhealthy() {
    ServiceSpec probed = Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
    ObservedService o =
        new ObservedService(running(V1), null, null, idle(), Reconciler.UNHEALTHY_PASSES);
    assertThat(Reconciler.decide(probed, pinned(V1), o))
        .isEqualTo(new Action.Deploy(V1, Set.of(DriftReason.UNHEALTHY)));
    ObservedService once = new ObservedService(running(V1), null, null, idle(), 1);
    assertThat(Reconciler.decide(probed, pinned(V1), once)).isInstanceOf(Action.InSync.class);
  }

  @Test
  void decide_withTheAgentsOwnProbe_ignoresTheImagesHealthcheck() {
    // FleetRolloutIT, 2026-12-02: on a loaded host the test image's HEALTHCHECK (2 × 1 s) called
    // a container unhealthy that the http probe and the load balancer both called healthy.
    ServiceSpec probed = Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
    ContainerInfo sickToDocker =
        container(
            V1,
            ContainerInfo.State.RUNNING,
            ContainerInfo.Health.UNHEALTHY,
            RunSpec.specHashOf(probed.container()));
    assertThat(Reconciler.decide(probed, pinned(V1), observed(sickToDocker, idle())))
        .isInstanceOf(Action.InSync.class);
  }

  @Test
  void decide_whenContainerUnmanaged_replacesIt() {
    ContainerInfo byHand =
        new ContainerInfo(
            "id",
            "web",
            "img",
            Map.of(),
            ContainerInfo.State.RUNNING,
            ContainerInfo.Health.NONE,
            0,
            0,
            Instant.EPOCH);
    assertThat(Reconciler.decide(WEB, pinned(V1), observed(byHand, idle())))
        .isEqualTo(new Action.Deploy(V1, Set.of(DriftReason.UNMANAGED)));
  }

  @Test
  void decide_whenDesiredRejected_holdsRunningContainer() {
    Action action = Reconciler.decide(WEB, rejected(), observed(running(V1), idle()));
    assertThat(action).isInstanceOf(Action.Hold.class);
    assertThat(((Action.Hold) action).why()).contains("tag_without_digest");
  }

  @Test
  void decide_whenDesiredUnavailable_holdsRunningContainer() {
    DesiredState down = new DesiredState.Unavailable("SSM throttled", true);
    assertThat(Reconciler.decide(WEB, down, observed(running(V1), idle())))
        .isInstanceOf(Action.Hold.class);
  }

  @Test
  void decide_whenDesiredUnavailableAndContainerGone_restoresLastKnownGood() {
    DesiredState down = new DesiredState.Unavailable("network", false);
    ServiceState known = idle().withLastKnownGood(V1);
    assertThat(Reconciler.decide(WEB, down, observed(null, known)))
        .isEqualTo(new Action.Deploy(V1, Set.of(DriftReason.MISSING)));
  }

  @Test
  void decide_whenRejectedAndContainerExited_restartsIt() {
    ContainerInfo exited =
        container(
            V1,
            ContainerInfo.State.EXITED,
            ContainerInfo.Health.NONE,
            RunSpec.specHashOf(WEB.container()));
    assertThat(Reconciler.decide(WEB, rejected(), observed(exited, idle())))
        .isInstanceOf(Action.Restart.class);
  }

  @Test
  void decide_whenRejectedAndNothingKnown_holds() {
    assertThat(Reconciler.decide(WEB, rejected(), observed(null, idle())))
        .isInstanceOf(Action.Hold.class);
  }

  @Test
  void decide_whenDesiredDigestFailedHere_holdsWithoutRetry() {
    ServiceState failed = idle().withLastKnownGood(V1).withFailed(V2.digest());
    Action action = Reconciler.decide(WEB, pinned(V2), observed(running(V1), failed));
    assertThat(action).isInstanceOf(Action.Hold.class);
    assertThat(((Action.Hold) action).why()).contains("rolled back");
  }

  @Test
  void decide_whenFailedDigestPinnedAndContainerKilled_restoresLastKnownGood() {
    ServiceState failed = idle().withLastKnownGood(V1).withFailed(V2.digest());
    assertThat(Reconciler.decide(WEB, pinned(V2), observed(null, failed)))
        .isEqualTo(new Action.Deploy(V1, Set.of(DriftReason.MISSING)));
  }

  @Test
  void decide_whenDeployInterrupted_resumes() {
    ServiceState midway = idle().inPhase(Phase.HEALTH, V2, null, Instant.EPOCH);
    assertThat(Reconciler.decide(WEB, pinned(V2), observed(running(V2), midway)))
        .isInstanceOf(Action.Resume.class);
  }

  @Test
  void decide_tagBesideDigestIsInformational() {
    ImageRef tagged = new ImageRef(V1.registry(), V1.repository(), "release-7", V1.digest());
    assertThat(Reconciler.decide(WEB, pinned(tagged), observed(running(V1), idle())))
        .isInstanceOf(Action.InSync.class);
  }
}
