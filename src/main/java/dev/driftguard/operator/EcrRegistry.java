package dev.driftguard.operator;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ECR registry, read from its host name {@code
 * ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]}: the 12-digit account is the {@code registryId}
 * of ECR calls and the region is where the ECR client must point (it may differ from the region of
 * the SSM parameter).
 *
 * @param host the registry host as written in image references
 * @param accountId the registry id
 * @param region the registry's region
 */
record EcrRegistry(String host, String accountId, String region) {
  private static final Pattern HOST =
      Pattern.compile(
          "([0-9]{12})\\.dkr\\.ecr(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?");

  /** The ECR registry {@code host} names, or empty for any other registry. */
  static Optional<EcrRegistry> fromHost(String host) {
    Matcher m = HOST.matcher(host == null ? "" : host.toLowerCase(java.util.Locale.ROOT));
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new EcrRegistry(host, m.group(1), m.group(2)));
  }
}
