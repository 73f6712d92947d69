package dev.driftguard.reconcile;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.RolloutSpec;
import dev.driftguard.testing.FakeContainerRuntime.Behaviour;
import dev.driftguard.testing.FakeTargetGroup;
import dev.driftguard.testing.Specs;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * DESIGN 4's API budget: the desired-state poll stretches with the fleet so SSM stays inside it.
 */
class PollBudgetTest {

  @Test
  void pollInterval_growsWithTheFleet_soTheFleetStaysInsideTheSsmBudget() throws Exception {
    AgentHarness host =
        new AgentHarness(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    FakeTargetGroup group = new FakeTargetGroup(host.runtime::record);
    host.traffic = group.gate("i-0000000000000001");
    host.fleet = group.fleet("i-0000000000000001");
    host.restartAgent();
    host.runtime.publish(image('1'), Behaviour.HEALTHY);
    host.pin("web", image('1'));
    host.pass();
    // A small fleet polls at the configured interval.
    assertThat(host.loop.budgeted(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(15));

    for (int i = 2; i <= 2000; i++) {
      group.set(String.format("i-%016d", i), 18080, "healthy");
    }
    host.time.advance(Duration.ofMinutes(16)); // the next registration check reads the group
    host.pass();

    // 2,000 hosts x 1 GetParameters per poll / 20 reads per second = one poll every 100 s.
    assertThat(host.loop.budgeted(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(100));
    assertThat(host.loop.budgeted(Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void beforeTheGroupIsRead_andForWorkers_theExpectedFleetIsBudgetedFor() throws Exception {
    AgentHarness worker = new AgentHarness(Specs.web());
    worker.expectedHosts = java.util.OptionalInt.of(2000);
    worker.restartAgent();
    worker.runtime.publish(image('1'), Behaviour.HEALTHY);
    worker.pin("web", image('1'));
    worker.pass();
    // No group to read: 2,000 assumed hosts / 20 reads per second.
    assertThat(worker.loop.budgeted(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(100));

    AgentHarness host =
        new AgentHarness(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST));
    FakeTargetGroup group = new FakeTargetGroup(host.runtime::record);
    host.traffic = group.gate("i-0000000000000001");
    host.fleet = group.fleet("i-0000000000000001");
    host.defaultExpectedHosts = 2000;
    host.restartAgent();
    assertThat(host.loop.budgeted(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(100));
    host.runtime.publish(image('1'), Behaviour.HEALTHY);
    host.pin("web", image('1'));
    // A host that joins with nothing running deploys without a gate read of the group: the loop
    // reads it at its first tick to learn the size.
    host.pass();
    assertThat(host.loop.budgeted(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(15));
  }
}
