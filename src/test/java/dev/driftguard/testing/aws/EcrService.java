package dev.driftguard.testing.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * ECR over JSON 1.1 ({@code X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.*}): {@code
 * GetAuthorizationToken} hands out {@code base64("AWS:" + password)} with a 12 hour {@code
 * expiresAt} and the registry's {@code https://} proxy endpoint. The password is the local
 * registry's basic-auth password, so a token from here logs in to it as ECR's would.
 */
public final class EcrService extends JsonService {
  /** ECR authorization tokens are valid for 12 hours. */
  public static final Duration TOKEN_LIFETIME = Duration.ofHours(12);

  private final String region;
  private final String defaultAccountId;
  private final String registryPassword;
  private final Clock clock;
  private Duration tokenLifetime = TOKEN_LIFETIME;

  EcrService(String region, String defaultAccountId, String registryPassword, Clock clock) {
    super("AmazonEC2ContainerRegistry_V20150921");
    this.region = region;
    this.defaultAccountId = defaultAccountId;
    this.registryPassword = registryPassword;
    this.clock = clock;
  }

  @Override
  public String key() {
    return "ecr";
  }

  @Override
  protected Map<String, Function<JsonNode, JsonNode>> operations() {
    return Map.of("GetAuthorizationToken", this::getAuthorizationToken);
  }

  /**
   * The registry host of the default account, e.g. {@code
   * 123456789012.dkr.ecr.us-east-1.amazonaws.com}.
   */
  public String registryHost() {
    return registryHost(defaultAccountId);
  }

  /** The password inside every token; the local registry's basic-auth password. */
  public String registryPassword() {
    return registryPassword;
  }

  /** Test knob: how long new tokens live (AWS: 12 h). */
  public synchronized void tokenLifetime(Duration lifetime) {
    this.tokenLifetime = lifetime;
  }

  private String registryHost(String accountId) {
    return accountId + ".dkr.ecr." + region + ".amazonaws.com";
  }

  private JsonNode getAuthorizationToken(JsonNode input) {
    List<String> accounts = new ArrayList<>();
    JsonNode ids = input.get("registryIds");
    if (ids != null && !ids.isNull()) {
      ids.forEach(id -> accounts.add(id.asText()));
      if (accounts.isEmpty() || accounts.size() > 10) {
        throw AwsFault.validation(
            "1 validation error detected: Value '"
                + accounts
                + "' at 'registryIds' failed to satisfy constraint: Member"
                + " must have length "
                + (accounts.isEmpty() ? "greater than or equal to 1" : "less than or equal to 10"));
      }
      for (String id : accounts) {
        if (!id.matches("[0-9]{12}")) {
          throw AwsFault.badRequest(
              "InvalidParameterException",
              "Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must"
                  + " satisfy regular expression pattern: [0-9]{12}'");
        }
      }
    } else {
      accounts.add(defaultAccountId);
    }
    Instant expiresAt;
    synchronized (this) {
      expiresAt = clock.instant().plus(tokenLifetime);
    }
    String token =
        Base64.getEncoder()
            .encodeToString(("AWS:" + registryPassword).getBytes(StandardCharsets.UTF_8));
    ObjectNode output = JSON.createObjectNode();
    ArrayNode data = output.putArray("authorizationData");
    for (String account : accounts) {
      data.addObject()
          .put("authorizationToken", token)
          .put("expiresAt", epochSeconds(expiresAt))
          .put("proxyEndpoint", "https://" + registryHost(account));
    }
    return output;
  }
}
