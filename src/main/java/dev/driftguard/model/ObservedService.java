package dev.driftguard.model;

import java.util.Optional;

/**
 * What one pass saw of a service on this host: its containers by name (each null when absent), the
 * remembered state, and how many passes in a row its health probe has failed.
 */
public record ObservedService(
    ContainerInfo current,
    ContainerInfo previous,
    ContainerInfo next,
    ServiceState state,
    int failedProbes) {

  public ObservedService {
    if (state == null) {
      throw new InvalidValueException("observed state needs the remembered service state");
    }
  }

  /**
   * The serving container's health as the service's own check judges it, the one verdict {@code
   * /metrics} and {@code /status} show: for {@code docker}, Docker's HEALTHCHECK status; for {@code
   * http} and {@code tcp}, the agent's last probe, since an image's HEALTHCHECK does not overrule
   * the check the operator chose (it does not decide drift either); {@code NONE} for {@code none}
   * and for a container that is absent or not running.
   */
  public ContainerInfo.Health health(HealthSpec.Type check) {
    if (current == null || !current.running()) {
      return ContainerInfo.Health.NONE;
    }
    return switch (check) {
      case DOCKER -> current.health();
      case HTTP, TCP ->
          failedProbes == 0 ? ContainerInfo.Health.HEALTHY : ContainerInfo.Health.UNHEALTHY;
      case NONE -> ContainerInfo.Health.NONE;
    };
  }

  /**
   * Whether the serving container runs and its {@link #health} is neither unhealthy nor starting
   * (no health check, or an image without a HEALTHCHECK, counts as healthy while it runs).
   */
  public boolean healthy(HealthSpec.Type check) {
    ContainerInfo.Health health = health(check);
    return current != null
        && current.running()
        && health != ContainerInfo.Health.UNHEALTHY
        && health != ContainerInfo.Health.STARTING;
  }

  public Optional<ContainerInfo> currentContainer() {
    return Optional.ofNullable(current);
  }

  public Optional<ContainerInfo> previousContainer() {
    return Optional.ofNullable(previous);
  }

  public Optional<ContainerInfo> nextContainer() {
    return Optional.ofNullable(next);
  }
}
