package dev.driftguard.config;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How the agent reaches AWS ({@code agent.aws}). {@code region} and {@code instanceId} are null
 * when configured as {@code auto}: then they come from instance metadata (IMDSv2). {@code
 * endpoints} overrides the endpoint of some AWS services, keyed by one of {@link
 * #ENDPOINT_SERVICES}; tests and local mode point every client (and IMDS) at a local server.
 */
public record AwsSettings(String region, String instanceId, Map<String, URI> endpoints) {

  /** The keys {@code agent.aws.endpoints} accepts: one per AWS client the agent builds. */
  public static final Set<String> ENDPOINT_SERVICES =
      Set.of("ssm", "ecr", "ec2", "elbv2", "dynamodb", "autoscaling", "imds");

  public AwsSettings {
    endpoints = Map.copyOf(endpoints);
    for (String service : endpoints.keySet()) {
      requireKnown(service);
    }
  }

  /** Region and instance id from instance metadata, real AWS endpoints. */
  public static AwsSettings auto() {
    return new AwsSettings(null, null, Map.of());
  }

  /** The configured region, or empty for {@code auto} (ask instance metadata). */
  public Optional<String> regionOverride() {
    return Optional.ofNullable(region);
  }

  /** The configured instance id, or empty for {@code auto} (ask instance metadata). */
  public Optional<String> instanceIdOverride() {
    return Optional.ofNullable(instanceId);
  }

  /**
   * The endpoint override for {@code service} (one of {@link #ENDPOINT_SERVICES}), or empty to use
   * AWS's own.
   *
   * @throws IllegalArgumentException for a service name the agent does not know (a typo in code)
   */
  public Optional<URI> endpoint(String service) {
    requireKnown(service);
    return Optional.ofNullable(endpoints.get(service));
  }

  private static void requireKnown(String service) {
    if (!ENDPOINT_SERVICES.contains(service)) {
      throw new IllegalArgumentException(
          "unknown AWS endpoint service '" + service + "', expected one of " + ENDPOINT_SERVICES);
    }
  }
}
