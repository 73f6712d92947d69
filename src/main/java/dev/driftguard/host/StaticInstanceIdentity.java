package dev.driftguard.host;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Identity from configuration for local mode ({@code agent.aws.instanceId} and {@code region} set,
 * no IMDS): fixed values and tags, and never a termination notice, since a laptop is not reclaimed
 * by EC2.
 */
public final class StaticInstanceIdentity implements InstanceIdentity {
  /** Reported as the availability zone when none is configured. */
  public static final String LOCAL_ZONE = "local";

  private final String instanceId;
  private final String region;
  private final String availabilityZone;
  private final Map<String, String> tags;

  public StaticInstanceIdentity(
      String instanceId, String region, String availabilityZone, Map<String, String> tags) {
    this.instanceId = requireText(instanceId, "instanceId");
    this.region = requireText(region, "region");
    this.availabilityZone = requireText(availabilityZone, "availabilityZone");
    this.tags = Map.copyOf(Objects.requireNonNull(tags, "tags"));
  }

  /** Local mode: the zone is {@value #LOCAL_ZONE}. */
  public static StaticInstanceIdentity of(
      String instanceId, String region, Map<String, String> tags) {
    return new StaticInstanceIdentity(instanceId, region, LOCAL_ZONE, tags);
  }

  @Override
  public String instanceId() {
    return instanceId;
  }

  @Override
  public String region() {
    return region;
  }

  @Override
  public String availabilityZone() {
    return availabilityZone;
  }

  @Override
  public Map<String, String> tags() {
    return tags;
  }

  @Override
  public Optional<String> terminationNotice() {
    return Optional.empty();
  }

  private static String requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must be set for a static instance identity");
    }
    return value;
  }
}
