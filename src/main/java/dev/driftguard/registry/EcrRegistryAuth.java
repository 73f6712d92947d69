package dev.driftguard.registry;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.RegistryCredential;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.AuthorizationData;
import software.amazon.awssdk.services.ecr.model.GetAuthorizationTokenResponse;

/**
 * Registry logins (DESIGN 2.4). For ECR registries ({@code
 * <account>.dkr.ecr.<region>.amazonaws.com}) it calls {@code GetAuthorizationToken}, caches the
 * decoded {@code AWS:<password>} login per registry and fetches a new one when less than the
 * refresh margin remains of its 12 h life, so a pull never races the expiry. {@link #invalidate}
 * (after a 401/403) drops it. Other registries use a configured {@link StaticRegistryLogin} or pull
 * anonymously.
 *
 * <p>ECR tokens are regional, so the token for a registry comes from the ECR of the region in its
 * host name ({@code 123456789012.dkr.ecr.eu-west-1.amazonaws.com}: eu-west-1), not from the agent's
 * region: {@link EcrClients} hands out one client per region. Tokens and passwords never reach a
 * log line or an exception message.
 */
public final class EcrRegistryAuth implements RegistryAuth {
  /** Refresh an hour before expiry: ample for a slow pull, and 11 of 12 hours use the cache. */
  public static final Duration DEFAULT_REFRESH_MARGIN = Duration.ofHours(1);

  /** ECR tokens live 12 hours; a margin this long would fetch on every pull. */
  private static final Duration TOKEN_LIFETIME = Duration.ofHours(12);

  private static final Pattern ECR_REGISTRY =
      Pattern.compile(
          "[0-9]{12}\\.dkr\\.ecr(-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?(:[0-9]{1,5})?");

  /** The ECR client of a region, e.g. {@code AwsClients::ecr}; each region's built once. */
  @FunctionalInterface
  public interface EcrClients {
    /** The client of {@code region} (e.g. {@code eu-west-1}); the same one on every call. */
    EcrClient forRegion(String region);
  }

  private static final Logger logger = LoggerFactory.getLogger(EcrRegistryAuth.class);
  private static final String OPERATION = "GetAuthorizationToken";

  private final EcrClients ecr;
  private final Map<String, StaticRegistryLogin> staticLogins;
  private final Duration refreshMargin;
  private final Clock clock;
  private final AwsCallListener listener;
  private final Map<String, RegistryCredential> ecrCache = new HashMap<>();

  /**
   * @param ecr the ECR client of each region (from {@code AwsClients}); only asked for ECR
   *     registries, for the region in the registry's host name
   * @param staticLogins logins for non-ECR registries, keyed by host[:port]
   * @param refreshMargin fetch a new ECR token when less than this remains; below 12 h
   */
  public EcrRegistryAuth(
      EcrClients ecr,
      Map<String, StaticRegistryLogin> staticLogins,
      Duration refreshMargin,
      Clock clock,
      AwsCallListener listener) {
    this.ecr = Objects.requireNonNull(ecr, "ecr");
    this.staticLogins = Map.copyOf(staticLogins);
    if (refreshMargin.isNegative() || refreshMargin.compareTo(TOKEN_LIFETIME) >= 0) {
      throw new IllegalArgumentException(
          "ECR token refresh margin must be between 0 and 12h (the token's life), got "
              + refreshMargin);
    }
    this.refreshMargin = refreshMargin;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** With the default refresh margin and the system clock. */
  public EcrRegistryAuth(
      EcrClients ecr, Map<String, StaticRegistryLogin> staticLogins, AwsCallListener listener) {
    this(ecr, staticLogins, DEFAULT_REFRESH_MARGIN, Clock.systemUTC(), listener);
  }

  /** True for hosts shaped like an ECR private registry. */
  public static boolean isEcrRegistry(String registry) {
    return registry != null && ECR_REGISTRY.matcher(registry).matches();
  }

  /** The region of an ECR registry host ({@code eu-west-1}); empty for other hosts. */
  public static Optional<String> regionOf(String registry) {
    if (registry == null) {
      return Optional.empty();
    }
    Matcher m = ECR_REGISTRY.matcher(registry);
    return m.matches() ? Optional.of(m.group(2)) : Optional.empty();
  }

  @Override
  public Optional<RegistryCredential> credentialFor(String registry) {
    // An explicitly configured login wins, even for an ECR-shaped host (a pull-through mirror,
    // or local mode against a look-alike registry); otherwise ECR hosts use ECR's token.
    StaticRegistryLogin login = staticLogins.get(registry);
    if (login != null) {
      return Optional.of(
          new RegistryCredential(registry, login.username(), readPassword(registry, login), null));
    }
    if (isEcrRegistry(registry)) {
      return Optional.of(ecrCredential(registry));
    }
    return Optional.empty();
  }

  @Override
  public synchronized void invalidate(String registry) {
    if (ecrCache.remove(registry) != null) {
      logger.info("dropped cached ECR token [registry={}]", registry);
    }
  }

  /** The earliest expiry of the cached ECR tokens; empty when none is cached. */
  public synchronized Optional<Instant> tokenExpiry() {
    return ecrCache.values().stream().map(RegistryCredential::expiresAt).min(Instant::compareTo);
  }

  private synchronized RegistryCredential ecrCredential(String registry) {
    RegistryCredential cached = ecrCache.get(registry);
    Instant now = clock.instant();
    if (cached != null && now.plus(refreshMargin).isBefore(cached.expiresAt())) {
      return cached;
    }
    RegistryCredential fresh = fetch(registry);
    ecrCache.put(registry, fresh);
    logger.info(
        "fetched ECR token [registry={}, expiresAt={}{}]",
        registry,
        fresh.expiresAt(),
        cached == null ? "" : ", refreshed=true");
    return fresh;
  }

  private RegistryCredential fetch(String registry) {
    String region = regionOf(registry).orElseThrow();
    GetAuthorizationTokenResponse response;
    try {
      response = ecr.forRegion(region).getAuthorizationToken(b -> {});
    } catch (SdkException e) {
      String code = AwsErrors.code(e);
      listener.onError("ecr", OPERATION, code);
      boolean throttled = AwsErrors.throttled(e);
      throw new RegistryAuthException(
          registry,
          "ECR "
              + OPERATION
              + " in "
              + region
              + " failed for registry "
              + registry
              + ": "
              + AwsErrors.reason(e)
              + (code.contains("AccessDenied")
                  ? " (the host's IAM role needs ecr:GetAuthorizationToken)"
                  : ""),
          throttled,
          e);
    }
    listener.onSuccess("ecr", OPERATION);
    if (!response.hasAuthorizationData() || response.authorizationData().isEmpty()) {
      throw new RegistryAuthException(
          registry, "ECR " + OPERATION + " returned no authorization data", false, null);
    }
    AuthorizationData data = response.authorizationData().get(0);
    if (data.authorizationToken() == null) {
      throw new RegistryAuthException(
          registry, "ECR " + OPERATION + " returned no authorization token", false, null);
    }
    String decoded;
    try {
      decoded =
          new String(Base64.getDecoder().decode(data.authorizationToken()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      // Not chained: the exception could quote the token.
      throw new RegistryAuthException(
          registry, "ECR returned an authorization token that is not base64", false, null);
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0 || data.expiresAt() == null) {
      throw new RegistryAuthException(
          registry,
          "ECR returned an authorization token that is not USER:PASSWORD with an expiry",
          false,
          null);
    }
    return new RegistryCredential(
        registry, decoded.substring(0, colon), decoded.substring(colon + 1), data.expiresAt());
  }

  private static String readPassword(String registry, StaticRegistryLogin login) {
    try {
      String content = Files.readString(login.passwordFile(), StandardCharsets.UTF_8);
      // Files written by `echo` end with a newline that is not part of the password.
      return content.replaceAll("[\r\n]+$", "");
    } catch (IOException e) {
      throw new RegistryAuthException(
          registry,
          "cannot read the password file "
              + login.passwordFile()
              + " for registry "
              + registry
              + ": "
              + e.getClass().getSimpleName(),
          false,
          e);
    }
  }
}
