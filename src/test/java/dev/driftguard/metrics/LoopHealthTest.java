package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.RolloutSpec;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.Specs;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LoopHealthTest {
  private static final Duration POLL = Duration.ofSeconds(15);

  @Test
  void stallAllowance_coversTheLongestPull_plusAMargin() {
    assertThat(LoopHealth.stallAllowance(POLL, List.of(Specs.web())))
        .isEqualTo(Duration.ofMinutes(20));
  }

  @Test
  void stallAllowance_coversAConfiguredDrainOrHealthyWaitLongerThanThePull() {
    var traffic = Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
    var longDrain =
        new dev.driftguard.model.ServiceSpec(
            traffic.name(),
            traffic.desired(),
            traffic.allowedRegistries(),
            traffic.container(),
            traffic.health(),
            new dev.driftguard.model.TrafficSpec(
                traffic.traffic().targetGroupArn(),
                18080,
                Duration.ofMinutes(40),
                Duration.ofMinutes(5),
                Duration.ofMinutes(5)),
            traffic.rollout());

    assertThat(LoopHealth.stallAllowance(POLL, List.of(Specs.web(), longDrain)))
        .isEqualTo(Duration.ofMinutes(45));
  }

  @Test
  void stallAllowance_isAtLeastThreePollIntervals() {
    assertThat(LoopHealth.stallAllowance(Duration.ofMinutes(10), List.of()))
        .isEqualTo(Duration.ofMinutes(35));
  }

  @Test
  void forWatchdog_isHealthyUntilTheAllowancePassesWithoutATick() {
    FakeTime time = FakeTime.startingAt("2026-01-01T00:00:00Z");
    AtomicReference<Instant> tick = new AtomicReference<>(time.instant());
    LoopHealth health = LoopHealth.forWatchdog(tick::get, POLL, List.of(Specs.web()), time);

    time.advance(Duration.ofMinutes(20));
    assertThat(health.check().healthy()).isTrue();
    time.advance(Duration.ofSeconds(1));
    assertThat(health.check().healthy()).isFalse();
    assertThat(health.check().detail()).contains("more than the stall allowance (1200s)");
  }
}
