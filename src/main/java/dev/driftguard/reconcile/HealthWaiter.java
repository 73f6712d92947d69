package dev.driftguard.reconcile;

import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.runtime.ContainerRuntime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Waits until a freshly started container passes its health check {@code healthyThreshold} times
 * in a row within the deadline. One set of rules for every check type: a container that exits,
 * vanishes or is restarted by the engine fails at once, whatever its probe said.
 */
final class HealthWaiter {
  private final ContainerRuntime runtime;
  private final HealthCheck.Factory checks;
  private final Clock clock;
  private final Sleeper sleeper;

  HealthWaiter(ContainerRuntime runtime, HealthCheck.Factory checks, Clock clock, Sleeper sleeper) {
    this.runtime = runtime;
    this.checks = checks;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** Empty when healthy; otherwise why not. */
  Optional<String> await(String containerName, ContainerSpec containerSpec, HealthSpec spec)
      throws InterruptedException {
    HealthCheck check = checks.forType(spec.type());
    Instant deadline = clock.instant().plus(spec.deadline());
    Integer restartsAtStart = null;
    int passes = 0;
    String lastDetail = "no probe ran";
    while (true) {
      Optional<ContainerInfo> seen = runtime.inspect(containerName);
      if (seen.isEmpty()) {
        return Optional.of("container " + containerName + " vanished");
      }
      ContainerInfo c = seen.get();
      if (!c.running()) {
        return Optional.of("container " + containerName + " is " + c.state().name().toLowerCase() + " (exit code " + c.exitCode() + ")");
      }
      if (restartsAtStart == null) {
        restartsAtStart = c.restartCount();
      } else if (c.restartCount() > restartsAtStart) {
        return Optional.of("container " + containerName + " restarted during its health check");
      }
      if (spec.type() == HealthSpec.Type.DOCKER && c.health() == ContainerInfo.Health.UNHEALTHY) {
        // Docker only says unhealthy after its own retries: a verdict, not a moment.
        return Optional.of("container " + containerName + " reported unhealthy by its HEALTHCHECK");
      }
      HealthCheck.ProbeResult result = check.probe(c, containerSpec, spec);
      lastDetail = result.detail();
      passes = result.healthy() ? passes + 1 : 0;
      if (passes >= spec.healthyThreshold()) {
        return Optional.empty();
      }
      if (!clock.instant().plus(spec.interval()).isBefore(deadline)) {
        return Optional.of(
            "not healthy within " + format(spec.deadline()) + " (" + passes + "/" + spec.healthyThreshold()
                + " passes; last probe: " + lastDetail + ")");
      }
      sleeper.sleep(spec.interval());
    }
  }

  private static String format(Duration d) {
    return d.toSeconds() + "s";
  }
}
