package dev.driftguard.operator;

import dev.driftguard.config.AgentSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * The AWS clients of one operator command: one set per region (ECR is asked in the registry's
 * region, which may differ from the SSM parameter's), all with the configuration's endpoint
 * overrides and the same credentials. Closed with the command.
 *
 * <p>Region: {@code --region}, else {@code agent.aws.region} of the configuration, else {@code
 * AWS_REGION} / {@code AWS_DEFAULT_REGION}, else the SDK's chain (profile, instance metadata).
 * Credentials: {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY} (and {@code
 * AWS_SESSION_TOKEN}) of the environment the command was given, else the SDK's default chain
 * (profile, SSO, instance profile). The environment is the map {@code Main} hands over, never read
 * from the process here, so tests are hermetic. Credentials are never printed.
 */
final class OperatorAws implements AutoCloseable {
  private final AwsAccess access;
  private final AgentSettings settings;
  private final Map<String, String> environment;

  /** The {@code --region} given, or null. */
  private final String regionOption;

  private final Map<Region, AwsAccess.Clients> clients = new HashMap<>();

  /**
   * @param region the {@code --region} given, or null to look in the configuration and the
   *     environment
   */
  OperatorAws(
      AwsAccess access, AgentSettings settings, Map<String, String> environment, String region) {
    this.access = access;
    this.settings = settings;
    this.environment = Map.copyOf(environment);
    this.regionOption = region;
  }

  /**
   * The region of the SSM parameters and EC2 instances.
   *
   * @throws OperatorException when no source names one
   */
  Region region() {
    Optional<String> named =
        Optional.ofNullable(regionOption)
            .or(() -> settings.aws().regionOverride())
            .or(() -> Optional.ofNullable(blankToNull(environment.get("AWS_REGION"))))
            .or(() -> Optional.ofNullable(blankToNull(environment.get("AWS_DEFAULT_REGION"))));
    if (named.isPresent()) {
      return Region.of(named.get());
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkClientException e) {
      throw new OperatorException(
          "cannot tell the AWS region: pass --region (e.g. --region us-east-1) or set AWS_REGION");
    }
  }

  /** The clients for {@link #region()}. */
  AwsAccess.Clients clients() {
    return clients(region());
  }

  /** The clients for {@code region}, built on first use. */
  synchronized AwsAccess.Clients clients(Region region) {
    return clients.computeIfAbsent(
        region, r -> access.open(r, settings.aws().endpoints(), credentials()));
  }

  /** Static credentials from the environment map, or null for the SDK's default chain. */
  private AwsCredentialsProvider credentials() {
    String key = blankToNull(environment.get("AWS_ACCESS_KEY_ID"));
    String secret = blankToNull(environment.get("AWS_SECRET_ACCESS_KEY"));
    if (key == null || secret == null) {
      return null;
    }
    String token = blankToNull(environment.get("AWS_SESSION_TOKEN"));
    return StaticCredentialsProvider.create(
        token == null
            ? AwsBasicCredentials.create(key, secret)
            : AwsSessionCredentials.create(key, secret, token));
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  @Override
  public synchronized void close() {
    List<AwsAccess.Clients> all = new ArrayList<>(clients.values());
    clients.clear();
    all.forEach(AwsAccess.Clients::close);
  }
}
