package dev.driftguard.model;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the agent knows about one service (app_environment) on this host, from the host
 * configuration. {@code traffic} is null for workers without a load balancer.
 */
public record ServiceSpec(
    String name,
    DesiredSource desired,
    Set<String> allowedRegistries,
    ContainerSpec container,
    HealthSpec health,
    TrafficSpec traffic,
    RolloutSpec rollout) {

  /** Docker container names allow these; the agent adds -next and -previous. */
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");

  public ServiceSpec {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidValueException(
          "service name '" + Digest.abbreviate(name) + "' must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    }
    allowedRegistries = Set.copyOf(allowedRegistries);
    if (desired == null || container == null || health == null || rollout == null) {
      throw new InvalidValueException("service " + name + " is incomplete");
    }
  }

  public Optional<TrafficSpec> trafficSpec() {
    return Optional.ofNullable(traffic);
  }

  /** Name of the container that serves. */
  public String containerName() {
    return name;
  }

  /** Name of the container that is being started (start-first) or was just created. */
  public String nextContainerName() {
    return name + "-next";
  }

  /** Name of the old container kept for rollback until the new one is committed. */
  public String previousContainerName() {
    return name + "-previous";
  }
}
