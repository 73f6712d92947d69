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
