package dev.driftguard.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeployTimingTest {

  @Test
  void aSlotRests_twoCallsATurn_overTheBudget_timesTheSlots() {
    // 200 slots (2,000 hosts at 10 %) at 3 calls a second: 200 turns every 133.3 s, 1.5 a second.
    DeployTiming timing = DeployTiming.defaults().forRegistrationBudget(3);

    assertThat(timing.turnCycle(200)).isEqualTo(Duration.ofNanos(133_333_333_400L));
    assertThat(timing.turnCycle(1)).isEqualTo(Duration.ofNanos(666_666_667));
    assertThat(DeployTiming.defaults().turnSpacing()).isEqualTo(timing.turnSpacing());
  }

  @Test
  void aPoolOfNoSlots_stillRestsOneSpacing() {
    DeployTiming timing = DeployTiming.defaults().forRegistrationBudget(2);

    assertThat(timing.turnCycle(0)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void theGatePacing_keepsTheTurnSpacing() {
    DeployTiming timing =
        DeployTiming.defaults()
            .forRegistrationBudget(8)
            .withGate(Duration.ofSeconds(1), Duration.ofMinutes(1));

    assertThat(timing.turnSpacing()).isEqualTo(Duration.ofMillis(250));
    assertThat(timing.gatePoll()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aBudgetOfNothing_isRefused() {
    assertThatThrownBy(() -> DeployTiming.defaults().forRegistrationBudget(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("callsPerSecond");
  }
}
