package dev.driftguard.reconcile;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceState;
import dev.driftguard.runtime.ContainerRuntimeException;
import dev.driftguard.testing.FakeContainerRuntime.Behaviour;
import dev.driftguard.testing.Specs;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DeployScenarioTest {
  private static final ImageRef V1 = image('1');
  private static final ImageRef V2 = image('2');
  private static final ImageRef BAD = image('b');
  private static final ImageRef CRASH = image('c');

  private AgentHarness host;

  @BeforeEach
  void setUp() {
    host = new AgentHarness(Specs.web());
    host.runtime
        .publish(V1, Behaviour.HEALTHY)
        .publish(V2, Behaviour.HEALTHY)
        .publish(BAD, Behaviour.UNHEALTHY)
        .publish(CRASH, Behaviour.EXITS);
  }

  @Test
  void pinV1_runsV1_andIsInSync() throws Exception {
    host.pin("web", V1);
    assertThat(host.pass().allInSync()).isTrue();
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.pass().actions().get("web")).isInstanceOf(Action.InSync.class);
    assertThat(host.store.load().get("web").lastKnownGood()).isEqualTo(V1);
  }

  @Test
  void inSyncPass_asksTheEngineOnce() throws Exception {
    host.pin("web", V1);
    host.pass();
    int inspects = host.runtime.inspectCalls();
    int listings = host.runtime.inspectAllCalls();

    assertThat(host.pass().allInSync()).isTrue();

    // One listing observes the service; whether the host serves is read from it, not asked again.
    assertThat(host.runtime.inspectAllCalls() - listings).isEqualTo(1);
    assertThat(host.runtime.inspectCalls() - inspects).isZero();
  }

  @Test
  void pinV2_replacesV1_keepingV1AsPreviousUntilStable() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(host.runningDigest("web-previous")).isEqualTo(V1.digest().value());
    assertThat(host.runtime.journal())
        .containsSubsequence(
            "pull " + V2.pinned(),
            "stop web",
            "rename web web-previous",
            "create web " + V2.digest().shortForm(),
            "start web");
    host.time.advance(Duration.ofSeconds(61));
    host.pass();
    assertThat(host.runtime.containerNames()).containsExactly("web");
    // v1's image stays: it is the last rollback target beside the running one (keep = 1).
    assertThat(host.runtime.images(V1.repositoryName())).hasSize(2);
  }

  @Test
  void oldImages_areCollectedOncePerDeploy_notOnEveryPass() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    host.pass();
    host.time.advance(Duration.ofSeconds(61));
    host.pass();
    int listings = host.runtime.imageListings();
    assertThat(listings).isPositive();

    host.time.advance(Duration.ofSeconds(5));
    host.pass();
    host.time.advance(Duration.ofSeconds(5));
    host.pass();

    assertThat(host.runtime.imageListings()).isEqualTo(listings);
  }

  @Test
  void pullHappensBeforeTheOldContainerIsStopped() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", image('9')); // never published: the pull fails
    var result = host.pass();
    assertThat(result.allInSync()).isFalse();
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.runtime.inspect("web").orElseThrow().running()).isTrue();
    assertThat(host.events).contains("deploy web failed");
  }

  @Test
  void unhealthyImage_rollsBackToV2_andIsNotRetried() throws Exception {
    host.pin("web", V2);
    host.pass();
    host.pin("web", BAD);
    host.pass();
    assertThat(host.events).contains("deploy web rolled_back");
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(host.runtime.inspect("web").orElseThrow().running()).isTrue();
    assertThat(host.runtime.inspect("web-previous")).isEmpty();
    int journalSize = host.runtime.journal().size();
    for (int i = 0; i < 3; i++) {
      assertThat(host.pass().actions().get("web")).isInstanceOf(Action.Hold.class);
    }
    assertThat(host.runtime.journal()).hasSize(journalSize);
    // Pinning something else and then the bad digest again counts as a new desired value.
    host.pin("web", V1);
    host.pass();
    host.pin("web", BAD);
    host.pass();
    assertThat(host.events.stream().filter("deploy web rolled_back"::equals)).hasSize(2);
  }

  @Test
  void crashingImage_rollsBack() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", CRASH);
    host.pass();
    assertThat(host.events).contains("deploy web rolled_back");
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    // Restart policy unless-stopped: the crash shows as a crash loop, with the exit code.
    assertThat(host.store.load().get("web").lastError()).contains("exit code 1");
  }

  @Test
  void firstDeployFailing_onAnEmptyHost_isRetriedAsALastResort_withBackoff() throws Exception {
    host.pin("web", CRASH);
    host.pass();
    assertThat(host.events).contains("deploy web rolled_back");
    assertThat(host.runtime.containerNames()).isEmpty();
    // Never empty: nothing else is known, so the pinned digest is tried again, past its mark...
    assertThat(host.loop.runOnce().actions().get("web")).isInstanceOf(Action.Deploy.class);
    assertThat(host.runtime.containerNames()).isEmpty();
    // ...and after that failure only after a backoff, not on every poll.
    assertThat(host.loop.runOnce().actions().get("web")).isInstanceOf(Action.Hold.class);
    host.time.advance(Duration.ofMinutes(1));
    assertThat(host.loop.runOnce().actions().get("web")).isInstanceOf(Action.Deploy.class);
  }

  @Test
  void theSelfReport_hearsWhetherTheHostServesAnything() throws Exception {
    host.pin("web", CRASH);
    host.pass();
    host.loop.runOnce(); // the last-resort attempt
    host.loop.runOnce(); // backing off: nothing runs and nothing is under way
    assertThat(host.servingSeen).last().isEqualTo(false);
    host.pin("web", V1);
    host.time.advance(Duration.ofMinutes(15));
    host.pass();
    host.pass();
    assertThat(host.servingSeen).last().isEqualTo(true);
  }

  @Test
  void rollbackOff_keepsTheFailedContainerStopped_restoresThePrevious_andRemembersDigest()
      throws Exception {
    host = new AgentHarness(Specs.service("web", Specs.container(), false));
    host.runtime.publish(V1, Behaviour.HEALTHY).publish(BAD, Behaviour.UNHEALTHY);
    host.pin("web", V1);
    host.pass();
    host.pin("web", BAD);
    host.pass();
    assertThat(host.events).contains("deploy web rolled_back");
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.runningDigest("web-failed")).isEqualTo(BAD.digest().value());
    assertThat(host.runtime.inspect("web-failed").orElseThrow().running()).isFalse();
    assertThat(host.store.load().get("web").failed()).isEqualTo(BAD.digest());
  }

  @Test
  void rejectedValues_leaveV2Untouched_andAreReportedOncePerChange() throws Exception {
    host.pin("web", V2);
    host.pass();
    int journalSize = host.runtime.journal().size();
    host.pin("web", Specs.REGISTRY + "/web:latest");
    host.pass();
    host.pass();
    host.pin("web", Specs.REGISTRY + "/web@sha256:1234");
    host.pass();
    host.pin("web", "evil.example.com/web@" + V1.digest());
    host.pass();
    assertThat(host.runtime.journal()).hasSize(journalSize);
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(host.events)
        .filteredOn(e -> e.startsWith("rejected"))
        .containsExactly(
            "rejected web tag_without_digest",
            "rejected web malformed",
            "rejected web registry_not_allowed");
  }

  @Test
  void killedContainer_isRestarted() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.runtime.kill("web");
    host.pass();
    assertThat(host.runtime.inspect("web").orElseThrow().running()).isTrue();
    assertThat(host.events).contains("drift web exited");
  }

  @Test
  void removedContainer_isRecreated_evenWhileSsmIsDown() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.runtime.remove("web");
    host.ssmDown = true;
    host.pass();
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
  }

  @Test
  void ssmDown_leavesRunningContainerAlone() throws Exception {
    host.pin("web", V1);
    host.pass();
    int journalSize = host.runtime.journal().size();
    host.ssmDown = true;
    assertThat(host.pass().actions().get("web")).isInstanceOf(Action.Hold.class);
    assertThat(host.runtime.journal()).hasSize(journalSize);
  }

  @Test
  void handMadeContainer_isReplaced() throws Exception {
    host.runtime.runUnmanaged("web", V1);
    host.pin("web", V2);
    host.pass();
    assertThat(host.runtime.inspect("web").orElseThrow().managed()).isTrue();
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(host.events).contains("drift web unmanaged");
  }

  @Test
  void otherContainers_areNeverTouched() throws Exception {
    host.runtime.runUnmanaged("postgres", V1);
    host.pin("web", V2);
    host.pass();
    host.time.advance(Duration.ofMinutes(5));
    host.pass();
    assertThat(host.runtime.journal()).noneMatch(e -> e.contains("postgres"));
  }

  @Test
  void registry401_refreshesCredentialOnce() throws Exception {
    host.registryPassword = "stale";
    host.runtime.requirePassword(Specs.REGISTRY, "token-2");
    host.pin("web", V1);
    // The harness hands out the stale password until invalidated; emulate a refreshed token.
    host.runtime.failNext(
        "pull",
        new dev.driftguard.runtime.RegistryUnauthorizedException(
            Specs.REGISTRY, "unauthorized", null));
    host.registryPassword = "token-2";
    host.pass();
    assertThat(host.events).contains("invalidate " + Specs.REGISTRY);
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
  }

  @Test
  void failingStart_isAFault_restoresThePrevious_andCondemnsNothing() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.runtime.failNext(
        "start",
        new ContainerRuntimeException("start", "start web: port is already allocated", null));
    host.pin("web", V2);
    host.pass();
    assertThat(host.events).contains("deploy web failed").doesNotContain("deploy web rolled_back");
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.store.load().get("web").failed()).isNull();
    // Retried after the backoff, and then it goes through.
    host.time.advance(Duration.ofSeconds(30));
    host.pass();
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
  }

  /**
   * A crash right after a phase was saved: the restarted agent must converge to v2 or back to v1.
   */
  @ParameterizedTest
  @EnumSource(
      value = Phase.class,
      names = {"PULL", "DEREGISTER", "STOP", "START", "HEALTH", "REGISTER", "COMMIT"})
  void crashDuringDeploy_restartedAgentConverges(Phase crashAt) throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    CrashingStore.crashAfterSaving(host, crashAt);
    assertThatThrownBy(host::pass).isInstanceOf(CrashingStore.Crash.class);
    host.restartAgent();
    for (int i = 0; i < 3; i++) {
      host.pass();
    }
    ServiceState state = host.store.load().get("web");
    assertThat(state.phase()).isEqualTo(Phase.IDLE);
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(host.runtime.inspect("web").map(ContainerInfo::running)).contains(true);
    assertThat(host.pass().allInSync()).isTrue();
  }

  /**
   * Resumed at START after a crash, with the old container already stopped: the image is here, so
   * the resume must not depend on the registry (or its token) being reachable.
   */
  @Test
  void crashAtStart_resumeStartsTheLocalImage_withoutTheRegistry() throws Exception {
    crashBetweenStopAndStartThenRestart();
    host.runtime.failNext("pull", new IllegalStateException("registry unreachable"));

    host.pass();

    assertRunsV2();
  }

  /**
   * Killed between STOP and START, the restarted agent starts the new container at its first tick,
   * before it reads the desired state: SSM being down (or slow) must not keep the host empty.
   */
  @Test
  void crashAtStart_firstTickStartsTheContainer_evenWithSsmDown() throws Exception {
    crashBetweenStopAndStartThenRestart();
    host.ssmDown = true;

    host.loop.tick();

    assertRunsV2();
  }

  /** v1 runs, v2 is pinned, the agent dies right after saving START (old container stopped). */
  private void crashBetweenStopAndStartThenRestart() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", V2);
    CrashingStore.crashAfterSaving(host, Phase.START);
    assertThatThrownBy(host::pass).isInstanceOf(CrashingStore.Crash.class);
    host.restartAgent();
  }

  private void assertRunsV2() {
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(host.runtime.inspect("web").map(ContainerInfo::running)).contains(true);
  }

  /** The same crash while deploying a bad image: the restarted agent must still roll back to v1. */
  @ParameterizedTest
  @EnumSource(
      value = Phase.class,
      names = {"STOP", "START", "HEALTH"})
  void crashDuringBadDeploy_restartedAgentRollsBackToV1(Phase crashAt) throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", BAD);
    CrashingStore.crashAfterSaving(host, crashAt);
    assertThatThrownBy(host::pass).isInstanceOf(CrashingStore.Crash.class);
    host.restartAgent();
    for (int i = 0; i < 3; i++) {
      host.pass();
    }
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.runtime.inspect("web").map(ContainerInfo::running)).contains(true);
    assertThat(host.store.load().get("web").failed()).isEqualTo(BAD.digest());
    assertThat(host.events).contains("deploy web rolled_back");
  }

  @Test
  void crashDuringRollback_restartedAgentFinishesRollback() throws Exception {
    host.pin("web", V1);
    host.pass();
    host.pin("web", BAD);
    CrashingStore.crashAfterSaving(host, Phase.ROLLBACK);
    assertThatThrownBy(host::pass).isInstanceOf(CrashingStore.Crash.class);
    host.restartAgent();
    host.pass();
    host.pass();
    assertThat(host.runningDigest("web")).isEqualTo(V1.digest().value());
    assertThat(host.runtime.inspect("web").map(ContainerInfo::running)).contains(true);
    assertThat(host.store.load().get("web").failed()).isEqualTo(BAD.digest());
    assertThat(host.store.load().get("web").lastOutcome()).isEqualTo(DeployOutcome.ROLLED_BACK);
  }
}
