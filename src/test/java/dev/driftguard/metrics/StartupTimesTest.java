package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.driftguard.reconcile.Action;
import dev.driftguard.testing.FakeTime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartupTimesTest {
  private final FakeTime clock = new FakeTime(Instant.parse("2026-12-07T10:00:00Z"));
  private final Instant start = clock.instant().minusMillis(400);
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final StartupTimes times =
      new StartupTimes(List.of("web", "worker"), start, clock).bindTo(registry);

  @Test
  void theDecision_whenEveryServiceHasDecided_thePass_whenTheFirstPassIsDone_fromTheProcessStart() {
    clock.advance(Duration.ofMillis(600));
    times.decided("web", new Action.InSync());
    assertThat(times.firstDecision()).isNaN();

    clock.advance(Duration.ofMillis(300));
    times.decided("worker", new Action.InSync());
    clock.advance(Duration.ofMillis(200));
    times.firstPassDone();
    clock.advance(Duration.ofSeconds(30));
    times.decided("web", new Action.InSync());
    times.firstPassDone();

    assertThat(times.firstDecision()).isCloseTo(1.3, within(1e-9));
    assertThat(times.firstPass()).isCloseTo(1.5, within(1e-9));
    assertThat(registry.scrape())
        .contains("driftguard_startup_seconds{milestone=\"first_decision\"} 1.3")
        .contains("driftguard_startup_seconds{milestone=\"first_pass\"} 1.5");
  }

  @Test
  void beforeAMilestone_itsGaugeIsNaN() {
    assertThat(registry.scrape())
        .contains("driftguard_startup_seconds{milestone=\"first_decision\"} NaN")
        .contains("driftguard_startup_seconds{milestone=\"first_pass\"} NaN");
  }

  @Test
  void processStart_isThisProcessStart_atOrBeforeTheJvmsOwnStart() {
    Instant jvmStart = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
    Instant processStart = StartupTimes.processStart(Clock.systemUTC());

    // The JVM starts within moments of the exec, and /proc counts in 10 ms ticks.
    assertThat(Duration.between(processStart, jvmStart).toMillis()).isBetween(-20L, 2_000L);
  }
}
