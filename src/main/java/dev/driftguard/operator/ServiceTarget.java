package dev.driftguard.operator;

import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.ServiceSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which SSM parameter holds a service's desired image and which registries its hosts accept: from
 * the host configuration, or from {@code --parameter} and {@code --allowed-registry} on a machine
 * without it (the options win when both are there).
 *
 * @param service the service
 * @param parameter the SSM parameter name
 * @param allowedRegistries the registries the agents accept; empty when not needed and unknown
 * @param overrides the options that chose them, to repeat in a printed command line
 */
record ServiceTarget(
    String service, String parameter, Set<String> allowedRegistries, List<String> overrides) {

  /** DESIGN 2.1's default parameter name. */
  static final String DEFAULT_PARAMETER = "/driftguard/{service}/image";

  ServiceTarget {
    allowedRegistries = Set.copyOf(allowedRegistries);
    overrides = List.copyOf(overrides);
  }

  /**
   * Resolves the target of {@code pin}: the parameter and the allowed registries must both be
   * known, since pin writes what the hosts will act on.
   *
   * @param parameter the {@code --parameter} given, or null
   * @throws OperatorException saying what is missing and which option supplies it
   */
  static ServiceTarget forPin(
      String service, HostConfig config, String parameter, List<String> registries) {
    Optional<ServiceSpec> spec = config.service(service);
    String name = parameter != null ? parameter : spec.map(s -> ssmParameter(s)).orElse(null);
    Set<String> allowed =
        !registries.isEmpty()
            ? new LinkedHashSet<>(registries)
            : spec.map(ServiceSpec::allowedRegistries).orElse(Set.of());
    if (name == null || allowed.isEmpty()) {
      List<String> missing = new ArrayList<>();
      if (name == null) {
        missing.add("--parameter NAME (e.g. " + defaultParameter(service) + ")");
      }
      if (allowed.isEmpty()) {
        missing.add("--allowed-registry HOST (the hosts' desired.allowedRegistries)");
      }
      throw new OperatorException(
          "cannot tell where "
              + service
              + "'s desired image is pinned: "
              + (spec.isPresent()
                  ? "its configuration has no allowedRegistries"
                  : config.whyNoService(service))
              + "; pass "
              + String.join(" and ", missing)
              + ", or --config with the hosts' configuration");
    }
    return new ServiceTarget(service, name, allowed, overrides(parameter, registries));
  }

  /**
   * Resolves the target of {@code rollout-status}, which only reads: without a configuration or
   * {@code --parameter} it falls back to the default parameter name (and says so).
   *
   * @param parameter the {@code --parameter} given, or null
   */
  static ServiceTarget forStatus(String service, HostConfig config, String parameter) {
    Optional<ServiceSpec> spec = config.service(service);
    String name =
        parameter != null
            ? parameter
            : spec.map(ServiceTarget::ssmParameter).orElse(defaultParameter(service));
    return new ServiceTarget(service, name, Set.of(), overrides(parameter, List.of()));
  }

  static String defaultParameter(String service) {
    return DEFAULT_PARAMETER.replace("{service}", service);
  }

  private static String ssmParameter(ServiceSpec spec) {
    if (spec.desired() instanceof DesiredSource.Ssm ssm) {
      return ssm.parameterName();
    }
    throw new OperatorException(
        "service "
            + spec.name()
            + " reads its desired state from a local file ("
            + ((DesiredSource.File) spec.desired()).path()
            + "), not SSM; write that file, or pass --parameter for an SSM parameter");
  }

  private static List<String> overrides(String parameter, List<String> registries) {
    List<String> words = new ArrayList<>();
    if (parameter != null) {
      words.addAll(List.of("--parameter", parameter));
    }
    registries.forEach(r -> words.addAll(List.of("--allowed-registry", r)));
    return words;
  }
}
