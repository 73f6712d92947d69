package dev.driftguard.reconcile;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.testing.FakeContainerRuntime.Behaviour;
import dev.driftguard.testing.Specs;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DESIGN 4's run-once: the rollout's one-time task runs on exactly one host before any switches.
 */
class RunOnceScenarioTest {
  private static final ImageRef V1 = image('1');
  private static final ImageRef V2 = image('2');

  private static ServiceSpec web(List<String> runOnce) {
    ServiceSpec s = Specs.web();
    RolloutSpec r = s.rollout();
    return new ServiceSpec(
        s.name(),
        s.desired(),
        s.allowedRegistries(),
        s.container(),
        s.health(),
        s.traffic(),
        new RolloutSpec(
            r.strategy(),
            r.maxUnavailable(),
            r.maxUnavailablePercent(),
            r.rollback(),
            r.nextHostPort(),
            runOnce));
  }

  private static AgentHarness host(String instanceId, List<String> runOnce, TurnLease turns)
      throws Exception {
    AgentHarness host = new AgentHarness(web(List.of()));
    host.instanceId = instanceId;
    if (turns != null) {
      host.turns = turns;
    }
    host.restartAgent();
    host.runtime.publish(V1, Behaviour.HEALTHY).publish(V2, Behaviour.HEALTHY);
    host.pin("web", V1);
    host.pass();
    // The task arrives with the next rollout (a configuration change keeps the running container).
    host.reconfigure(web(runOnce));
    return host;
  }

  @Test
  void theTask_runsFromTheNewImage_onOneHostOnly_beforeAnyHostSwitches() throws Exception {
    AgentHarness first = host("i-0000000000000001", List.of("exit", "0"), null);
    AgentHarness second = host("i-0000000000000002", List.of("exit", "0"), first.turns);
    int firstBefore = first.runtime.journal().size();
    int secondBefore = second.runtime.journal().size();

    first.pin("web", V2);
    first.pass();
    second.pin("web", V2);
    second.pass();

    List<String> firstJournal =
        first.runtime.journal().subList(firstBefore, first.runtime.journal().size());
    List<String> secondJournal =
        second.runtime.journal().subList(secondBefore, second.runtime.journal().size());
    assertThat(firstJournal)
        .containsSubsequence(
            "create web-once " + V2.digest().shortForm(),
            "start web-once",
            "remove web-once",
            "stop web",
            "create web " + V2.digest().shortForm());
    assertThat(secondJournal).noneMatch(e -> e.startsWith("create web-once"));
    assertThat(first.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(second.runningDigest("web")).isEqualTo(V2.digest().value());
    assertThat(first.turns.run("web@" + V2.digest().value()))
        .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo(TurnLease.RunState.SUCCEEDED));
  }

  @Test
  void aFailingTask_stopsTheRollout_everywhere_andCondemnsTheDigest() throws Exception {
    AgentHarness first = host("i-0000000000000001", List.of("exit", "3"), null);
    AgentHarness second = host("i-0000000000000002", List.of("exit", "3"), first.turns);

    first.pin("web", V2);
    first.pass();
    second.pin("web", V2);
    second.pass();

    for (AgentHarness h : List.of(first, second)) {
      assertThat(h.events).contains("deploy web rolled_back");
      assertThat(h.runningDigest("web")).isEqualTo(V1.digest().value());
      assertThat(h.runtime.inspect("web").orElseThrow().running()).isTrue();
      assertThat(h.store.load().get("web").failed()).isEqualTo(V2.digest());
      assertThat(h.runtime.journal()).doesNotContain("stop web");
    }
    // Only the runner ran it; its container is kept for the operator to read.
    assertThat(second.runtime.journal()).noneMatch(e -> e.startsWith("create web-once"));
    assertThat(first.runtime.inspect("web-once")).isPresent();
  }

  @Test
  void noTask_noRunOnceContainer() throws Exception {
    AgentHarness host = host("i-0000000000000001", List.of(), null);
    host.pin("web", V2);
    host.pass();
    assertThat(host.runtime.journal()).noneMatch(e -> e.contains("web-once"));
    assertThat(host.runningDigest("web")).isEqualTo(V2.digest().value());
  }
}
