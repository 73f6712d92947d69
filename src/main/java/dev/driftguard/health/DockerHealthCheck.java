package dev.driftguard.health;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;

/**
 * Health type {@code docker}: the verdict of the image's own HEALTHCHECK as Docker reports it in
 * the inspected container. Nothing is probed from here; the engine runs the check inside the
 * container on the image's schedule.
 */
public final class DockerHealthCheck implements HealthCheck {

  @Override
  public ProbeResult probe(ContainerInfo container, ContainerSpec containerSpec, HealthSpec spec) {
    if (!container.running()) {
      return ProbeResult.notRunning(container);
    }
    return switch (container.health()) {
      case HEALTHY -> ProbeResult.pass("docker health: healthy");
      case STARTING -> ProbeResult.fail("docker health: starting");
      case UNHEALTHY -> ProbeResult.fail("docker health: unhealthy");
      // Waiting would only run into the deadline: say what to change instead.
      case NONE ->
          ProbeResult.fail(
              "image has no HEALTHCHECK; use health type http, tcp or none, or add one to the"
                  + " image");
    };
  }
}
