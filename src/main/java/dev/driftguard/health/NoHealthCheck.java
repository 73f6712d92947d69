package dev.driftguard.health;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;

/** Health type {@code none}: a running container is healthy (workers without a probe). */
public final class NoHealthCheck implements HealthCheck {

  @Override
  public ProbeResult probe(ContainerInfo container, ContainerSpec containerSpec, HealthSpec spec) {
    return container.running() ? ProbeResult.pass("running") : ProbeResult.notRunning(container);
  }
}
