package dev.driftguard.model;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the agent knows about one service (app_environment) on this host, from the host
 * configuration. {@code traffic} is null for workers without a load balancer. {@code
 * containerName} is the Docker name of the serving container, the service name unless
 * configured ({@code container.name}); the fleet and its tags know the service by {@code name}.
 */
public record ServiceSpec(
    String name,
    DesiredSource desired,
    Set<String> allowedRegistries,
    ContainerSpec container,
    HealthSpec health,
    TrafficSpec traffic,
    RolloutSpec rollout,
    String containerName) {

  /** Docker container names allow these; the agent adds -next and -previous. */
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");

  public ServiceSpec {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidValueException(
          "service name '" + Digest.abbreviate(name) + "' must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    }
    allowedRegistries = Set.copyOf(allowedRegistries);
    containerName = containerName == null ? name : containerName;
    if (!NAME.matcher(containerName).matches()) {
      throw new InvalidValueException(
          "container name '" + Digest.abbreviate(containerName) + "' must match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    }
    if (desired == null || container == null || health == null || rollout == null) {
      throw new InvalidValueException("service " + name + " is incomplete");
    }
  }

  /** A service whose container is named after it. */
  public ServiceSpec(
      String name,
      DesiredSource desired,
      Set<String> allowedRegistries,
      ContainerSpec container,
      HealthSpec health,
      TrafficSpec traffic,
      RolloutSpec rollout) {
    this(name, desired, allowedRegistries, container, health, traffic, rollout, name);
  }

  /**
   * The container settings as {@code running} publishes them: a start-first deploy moves the
   * container to {@code rollout.nextPort} and back, and probes must go where it listens.
   */
  public ContainerSpec containerAsPublished(ContainerInfo running) {
    Optional<Integer> hostPort = running == null ? Optional.empty() : running.hostPort();
    if (hostPort.isEmpty() || container.ports().isEmpty()
        || container.ports().get(0).hostPort() == hostPort.get()) {
      return container;
    }
    java.util.List<PortBinding> moved = container.ports().stream()
        .map(p -> new PortBinding(p.hostIp(), hostPort.get(), p.containerPort(), p.protocol()))
        .toList();
    return new ContainerSpec(moved, container.env(), container.envFromSsm(), container.volumes(),
        container.command(), container.stopSignal(), container.stopTimeout(), container.memoryBytes());
  }

  public Optional<TrafficSpec> trafficSpec() {
    return Optional.ofNullable(traffic);
  }

  /** Name of the container that is being started (start-first) or was just created. */
  public String nextContainerName() {
    return containerName + "-next";
  }

  /** Name of the old container kept for rollback until the new one is committed. */
  public String previousContainerName() {
    return containerName + "-previous";
  }
}
