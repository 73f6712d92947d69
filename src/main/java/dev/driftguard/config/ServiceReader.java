package dev.driftguard.config;

import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.InvalidValueException;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TrafficSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads one entry of {@code services:} into a {@link ServiceSpec}: the name here, each section by
 * its own reader ({@link DesiredReader}, {@link ContainerReader}, {@link HealthReader}, {@link
 * TrafficReader}, {@link RolloutReader}). Checks that need the other services (unique names, host
 * ports) are left to {@link ConfigLoader}, which gets a {@link Draft} even when this service has
 * errors, so those checks still run.
 */
final class ServiceReader {
  static final String[] KEYS = {"name", "desired", "container", "health", "traffic", "rollout"};

  /**
   * What the cross-service checks need. {@code name} is null when it did not validate; {@code spec}
   * is null when this service has any error.
   */
  record Draft(
      String name,
      String namePath,
      List<PublishedPort> ports,
      int nextPort,
      String nextPortPath,
      ServiceSpec spec) {}

  private ServiceReader() {}

  static Draft read(YamlMap service, Path baseDir) {
    Problems problems = service.problems();
    int errorsBefore = problems.count();

    String name = readName(service);

    YamlMap desiredMap = service.map("desired", DesiredReader.KEYS);
    DesiredSource desired = DesiredReader.source(desiredMap, name, baseDir);
    Set<String> allowedRegistries = DesiredReader.allowedRegistries(desiredMap, desired);

    YamlMap containerMap = service.map("container", ContainerReader.KEYS);
    List<PublishedPort> ports = ContainerReader.ports(containerMap);
    ContainerSpec container = ContainerReader.spec(containerMap, ports, name);
    String containerName = ContainerReader.name(containerMap, name);

    HealthSpec health = HealthReader.read(service.map("health", HealthReader.KEYS), ports);

    TrafficSpec traffic =
        service.has("traffic")
            ? TrafficReader.read(service.map("traffic", TrafficReader.KEYS), ports, health)
            : null;

    YamlMap rolloutMap = service.map("rollout", RolloutReader.KEYS);
    RolloutSpec rollout = RolloutReader.read(rolloutMap, ports);

    ServiceSpec spec = null;
    if (problems.count() == errorsBefore) {
      // The readers' checks mirror the model's; this only reports if the two drift apart.
      spec =
          service.construct(
              () ->
                  new ServiceSpec(
                      name,
                      desired,
                      allowedRegistries,
                      container,
                      health,
                      traffic,
                      rollout,
                      containerName));
    }
    return new Draft(
        name,
        service.path("name"),
        ports,
        rollout == null ? 0 : rollout.nextHostPort(),
        rolloutMap.path("nextPort"),
        spec);
  }

  private static String readName(YamlMap service) {
    if (!service.has("name")) {
      service
          .problems()
          .add(service.path("name"), "required (a literal like web_staging, or \"${tag:Name}\")");
      return null;
    }
    return service.textValue("name", name("service")).orElse(null);
  }

  /**
   * Checks a service or container name ({@code kind}) against {@link ServiceSpec#NAME_RULE}: both
   * become Docker container names.
   */
  static Function<String, String> name(String kind) {
    return v -> {
      if (!ServiceSpec.isValidName(v)) {
        throw new InvalidValueException(
            "'"
                + v
                + "' is not a valid "
                + kind
                + " name ("
                + ServiceSpec.NAME_RULE_IN_WORDS
                + ")");
      }
      return v;
    };
  }
}
