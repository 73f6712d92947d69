package dev.driftguard.model;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the agent knows about one service (app_environment) on this host, from the host
 * configuration. {@code traffic} is null for workers without a load balancer. {@code containerName}
 * is the Docker name of the serving container, the service name unless configured ({@code
 * container.name}); the fleet and its tags know the service by {@code name}.
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

  /**
   * The rule for service and container names, as a regular expression: Docker container names allow
   * these, with room for the -next and -previous the agent adds. Service names also become tag keys
   * and parameter names, so the configuration and the operator commands check them by {@link
   * #isValidName} too.
   */
  public static final String NAME_RULE = "[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}";

  /** {@link #NAME_RULE} in words, for messages to people who write names in a file. */
  public static final String NAME_RULE_IN_WORDS =
      "letters, digits, _ . -; starting with a letter or digit; at most 63 characters";

  private static final Pattern NAME = Pattern.compile(NAME_RULE);

  public ServiceSpec {
    if (!isValidName(name)) {
      throw new InvalidValueException(
          "service name '" + Digest.abbreviate(name) + "' must match " + NAME_RULE);
    }
    allowedRegistries = Set.copyOf(allowedRegistries);
    containerName = containerName == null ? name : containerName;
    if (!isValidName(containerName)) {
      throw new InvalidValueException(
          "container name '" + Digest.abbreviate(containerName) + "' must match " + NAME_RULE);
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
    if (hostPort.isEmpty()
        || container.ports().isEmpty()
        || container.ports().get(0).hostPort() == hostPort.get()) {
      return container;
    }
    java.util.List<PortBinding> moved =
        container.ports().stream()
            .map(p -> new PortBinding(p.hostIp(), hostPort.get(), p.containerPort(), p.protocol()))
            .toList();
    return new ContainerSpec(
        moved,
        container.env(),
        container.envFromSsm(),
        container.volumes(),
        container.command(),
        container.stopSignal(),
        container.stopTimeout(),
        container.memoryBytes());
  }

  /**
   * Whether the service is behind a load balancer: {@code traffic} is set. Without one (a worker)
   * nothing is registered, deregistered or drained, no target is watched or reported, no gate is
   * built for it, and it takes deploy turns in a pool of its own rather than its target group's.
   */
  public boolean hasLoadBalancer() {
    return traffic != null;
  }

  /** {@link #traffic}, empty for a service {@linkplain #hasLoadBalancer without load balancer}. */
  public Optional<TrafficSpec> trafficSpec() {
    return Optional.ofNullable(traffic);
  }

  /**
   * Whether {@code name} may name a service or its container ({@link #NAME_RULE}); false for null.
   */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
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
