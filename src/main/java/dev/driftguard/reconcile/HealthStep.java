package dev.driftguard.reconcile;

import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.HealthSpec;
import java.time.Instant;
import java.util.Optional;

/**
 * HEALTH: one probe per run until the new container passes {@code healthyThreshold} times in a row
 * within the deadline. One set of rules for every check type: a container that exits, vanishes or
 * is restarted by the engine fails at once, whatever its probe said. Those, and a missed deadline,
 * are the only evidence against an image ({@link StepOutcome.ImageBad}).
 */
final class HealthStep implements DeployStep {
  private final StepEnv env;

  HealthStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    HealthSpec spec = d.service.health();
    String name = d.newContainerName();
    Instant now = env.clock().instant();
    if (d.deadline == null) {
      d.deadline = now.plus(spec.deadline());
    }
    Optional<ContainerInfo> seen = env.runtime().inspect(name);
    if (seen.isEmpty()) {
      return new StepOutcome.ImageBad("container " + name + " vanished");
    }
    ContainerInfo c = seen.get();
    if (!c.running()) {
      return new StepOutcome.ImageBad(
          "container "
              + name
              + " is "
              + c.state().name().toLowerCase()
              + " (exit code "
              + c.exitCode()
              + ")");
    }
    if (d.restartsAtStart == null) {
      d.restartsAtStart = c.restartCount();
    } else if (c.restartCount() > d.restartsAtStart) {
      return new StepOutcome.ImageBad("container " + name + " restarted during its health check");
    }
    if (spec.type() == HealthSpec.Type.DOCKER && c.health() == ContainerInfo.Health.UNHEALTHY) {
      // Docker only says unhealthy after its own retries: a verdict, not a moment.
      return new StepOutcome.ImageBad(
          "container " + name + " reported unhealthy by its HEALTHCHECK");
    }
    HealthCheck.ProbeResult result =
        env.healthChecks().forType(spec.type()).probe(c, d.service.containerAsPublished(c), spec);
    d.lastDetail = result.detail();
    d.passes = result.healthy() ? d.passes + 1 : 0;
    if (d.passes >= spec.healthyThreshold()) {
      return StepOutcome.done();
    }
    if (!now.plus(spec.interval()).isBefore(d.deadline)) {
      return new StepOutcome.ImageBad(
          "not healthy within "
              + spec.deadline().toSeconds()
              + "s ("
              + d.passes
              + "/"
              + spec.healthyThreshold()
              + " passes; last probe: "
              + d.lastDetail
              + ")");
    }
    return StepOutcome.waitFor(spec.interval());
  }
}
