package dev.driftguard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The fault matrix's measure of "no running container", on samples made up here. */
class ContainerSamplerTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  @Test
  void longestGap_isFromTheFirstSampleSeeingNoneToTheFirstSeeingOneAgain() {
    ContainerSampler.History h = new ContainerSampler.History();
    h.sample(at(0), true);
    h.sample(at(100), true);
    h.sample(at(200), false);
    h.sample(at(300), false);
    h.sample(at(700), true);
    h.sample(at(800), false);
    h.sample(at(900), true);

    assertThat(h.longestGap(at(0), at(1000)).length()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void longestGap_isClippedToTheWindow_andAnOpenGapRunsToItsEnd() {
    ContainerSampler.History h = new ContainerSampler.History();
    h.sample(at(0), false);
    h.sample(at(1000), true);
    h.sample(at(2000), false);

    assertThat(h.longestGap(at(500), at(2300)).length()).isEqualTo(Duration.ofMillis(500));
    assertThat(h.longestGap(at(1200), at(2900)).length()).isEqualTo(Duration.ofMillis(900));
  }

  @Test
  void longestGap_carriesTheEngineStartOfTheContainerThatEndedIt_andJudgesOnlyTheRest() {
    ContainerSampler.History h = new ContainerSampler.History();
    h.sample(at(0), true);
    h.sample(at(100), false);
    h.sample(at(400), true, Duration.ofMillis(50));
    h.sample(at(500), false);
    assertThat(h.lastRunningBeforeThisGap()).contains(at(400));
    h.sample(at(3900), true, Duration.ofMillis(3000));

    ContainerSampler.Gap gap = h.longestGap(at(0), at(5000));

    assertThat(gap.length()).isEqualTo(Duration.ofMillis(3400));
    assertThat(gap.engineStart()).isEqualTo(Duration.ofMillis(3000));
    assertThat(gap.beyondEngine()).isEqualTo(Duration.ofMillis(400));
  }

  @Test
  void anOpenGap_orOneThatEndsAfterTheWindow_hasNoEngineStartTakenOff() {
    ContainerSampler.History h = new ContainerSampler.History();
    h.sample(at(0), false);
    h.sample(at(2000), true, Duration.ofMillis(1500));

    assertThat(h.longestGap(at(0), at(1000)).beyondEngine()).isEqualTo(Duration.ofMillis(1000));
    assertThat(h.lastRunningBeforeThisGap()).isEmpty();
  }

  @Test
  void baseName_groupsNextAndPreviousWithTheirService() {
    assertThat(ContainerSampler.baseName("/web-next")).isEqualTo("web");
    assertThat(ContainerSampler.baseName("/web-previous")).isEqualTo("web");
    assertThat(ContainerSampler.baseName("/web")).isEqualTo("web");
  }

  private static Instant at(long millis) {
    return T0.plusMillis(millis);
  }
}
