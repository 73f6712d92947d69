package dev.driftguard.sim;

import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;

/**
 * The agent's own health probe of a simulated container (the HTTP check's stand-in): it passes when
 * the container runs an image that serves and has finished starting.
 */
final class SimHealthCheck implements HealthCheck {
  private final SimDocker docker;

  SimHealthCheck(SimDocker docker) {
    this.docker = docker;
  }

  @Override
  public ProbeResult probe(ContainerInfo container, ContainerSpec containerSpec, HealthSpec spec) {
    return docker
        .byId(container.id())
        .map(c -> c.serving() ? ProbeResult.pass("HTTP 200") : ProbeResult.fail("HTTP 503"))
        .orElse(ProbeResult.fail("connection refused"));
  }
}
