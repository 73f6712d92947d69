package dev.driftguard.testing.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftguard.testing.TestEnv;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ECR over JSON 1.1 ({@code X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.*}): {@code
 * GetAuthorizationToken} hands out {@code base64("AWS:" + password)} with a 12 hour {@code
 * expiresAt} and the registry's {@code https://} proxy endpoint. The password is the local
 * registry's basic-auth password, so a token from here logs in to it as ECR's would.
 *
 * <p>ECR is regional and so are its tokens: a token is for the registries of the region whose
 * endpoint was called. Every region shares this one URL, so the region is the one the request was
 * signed for ({@link AwsRequest#signingRegion()}); the proxy endpoint names it, and a test may give
 * a region its own password ({@link #registryPassword(String, String)}) to tell which region's
 * token a client got. {@link #tokenRegions()} lists the regions asked, in order.
 *
 * <p>{@code DescribeImages} (what {@code driftguard pin} needs: a tag's digest, whether a digest
 * exists) over images the test registers ({@link #putImage}, {@link #registerTestEnvImages}), with
 * ECR's errors: an unknown repository is {@code RepositoryNotFoundException}, an asked-for image
 * that is not there {@code ImageNotFoundException}. A tag names one image; putting it on another
 * digest moves it, as a push does.
 */
public final class EcrService extends JsonService {
  /** ECR authorization tokens are valid for 12 hours. */
  public static final Duration TOKEN_LIFETIME = Duration.ofHours(12);

  private final String region;
  private final String defaultAccountId;
  private final String registryPassword;
  private final Clock clock;
  private Duration tokenLifetime = TOKEN_LIFETIME;
  private final Map<String, Map<String, Image>> repositories = new LinkedHashMap<>();
  private final Map<String, String> regionPasswords = new LinkedHashMap<>();
  private final List<String> tokenRegions = new ArrayList<>();

  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern ENV_IMAGE = Pattern.compile("image\\.([A-Za-z0-9_.-]+)\\.digest");
  static final String MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json";

  /** One pushed image: its digest, its tags (in push order) and when it was pushed. */
  private static final class Image {
    final String digest;
    final Set<String> tags = new LinkedHashSet<>();
    final Instant pushedAt;

    Image(String digest, Instant pushedAt) {
      this.digest = digest;
      this.pushedAt = pushedAt;
    }
  }

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
    return Map.of(
        "GetAuthorizationToken", this::getAuthorizationToken,
        "DescribeImages", this::describeImages);
  }

  // ---- images (test knobs) -------------------------------------------------------------------

  /** Creates an empty repository ({@code driftguard-test/web}); no-op when it exists. */
  public synchronized void createRepository(String repository) {
    repositories.computeIfAbsent(repository, k -> new LinkedHashMap<>());
  }

  /**
   * Records a pushed image: {@code repository} (created if needed) holds {@code digest}, tagged
   * {@code tag} (null for none); the tag moves off any other image, as on a push.
   */
  public synchronized void putImage(String repository, String tag, String digest) {
    if (!DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("a digest is sha256: and 64 lowercase hex: " + digest);
    }
    Map<String, Image> images =
        repositories.computeIfAbsent(repository, k -> new LinkedHashMap<>());
    if (tag != null) {
      images.values().forEach(i -> i.tags.remove(tag));
    }
    Image image = images.computeIfAbsent(digest, d -> new Image(d, clock.instant()));
    if (tag != null) {
      image.tags.add(tag);
    }
  }

  /** The digest {@code tag} names in {@code repository}, if any. */
  public synchronized Optional<String> digestOf(String repository, String tag) {
    return repositories.getOrDefault(repository, Map.of()).values().stream()
        .filter(i -> i.tags.contains(tag))
        .map(i -> i.digest)
        .findFirst();
  }

  /** {@link #registerTestEnvImages(Path)} with {@link TestEnv#DEFAULT_FILE}. */
  public List<String> registerTestEnvImages() {
    return registerTestEnvImages(TestEnv.DEFAULT_FILE);
  }

  /**
   * Registers the test environment's images (written by {@code test/env/up}): every {@code
   * image.TAG.digest} under the repository of {@code image.repository} without its {@code
   * registry.host/} prefix (e.g. {@code driftguard-test/web}), tagged {@code TAG} ({@code v1},
   * {@code v2}, {@code unhealthy}, {@code crash}). Returns the tags registered; none when the
   * environment is not up.
   */
  public List<String> registerTestEnvImages(Path envFile) {
    Properties env = TestEnv.properties(envFile);
    String repository = env.getProperty("image.repository");
    if (repository == null) {
      return List.of();
    }
    String host = env.getProperty("registry.host");
    if (host != null && repository.startsWith(host + "/")) {
      repository = repository.substring(host.length() + 1);
    }
    List<String> tags = new ArrayList<>();
    for (String key : env.stringPropertyNames().stream().sorted().toList()) {
      Matcher m = ENV_IMAGE.matcher(key);
      if (m.matches()) {
        putImage(repository, m.group(1), env.getProperty(key).strip());
        tags.add(m.group(1));
      }
    }
    return tags;
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

  /** Test knob: tokens of {@code region} carry {@code password} instead of the default one. */
  public synchronized void registryPassword(String region, String password) {
    regionPasswords.put(region, password);
  }

  /** The region of every {@code GetAuthorizationToken} answered so far, oldest first. */
  public synchronized List<String> tokenRegions() {
    return List.copyOf(tokenRegions);
  }

  /** Test knob: how long new tokens live (AWS: 12 h). */
  public synchronized void tokenLifetime(Duration lifetime) {
    this.tokenLifetime = lifetime;
  }

  private String registryHost(String accountId) {
    return registryHost(accountId, region);
  }

  /** {@code ACCOUNT.dkr.ecr.REGION.amazonaws.com}, {@code .amazonaws.com.cn} in China. */
  private static String registryHost(String accountId, String region) {
    return accountId
        + ".dkr.ecr."
        + region
        + (region.startsWith("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
  }

  @Override
  protected JsonNode call(String operation, JsonNode input, AwsRequest request) {
    if (operation.equals("GetAuthorizationToken")) {
      return getAuthorizationToken(input, request.signingRegion().orElse(region));
    }
    return super.call(operation, input, request);
  }

  private JsonNode getAuthorizationToken(JsonNode input) {
    return getAuthorizationToken(input, region);
  }

  private JsonNode getAuthorizationToken(JsonNode input, String tokenRegion) {
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
    String password;
    synchronized (this) {
      expiresAt = clock.instant().plus(tokenLifetime);
      password = regionPasswords.getOrDefault(tokenRegion, registryPassword);
      tokenRegions.add(tokenRegion);
    }
    String token =
        Base64.getEncoder().encodeToString(("AWS:" + password).getBytes(StandardCharsets.UTF_8));
    ObjectNode output = JSON.createObjectNode();
    ArrayNode data = output.putArray("authorizationData");
    for (String account : accounts) {
      data.addObject()
          .put("authorizationToken", token)
          .put("expiresAt", epochSeconds(expiresAt))
          .put("proxyEndpoint", "https://" + registryHost(account, tokenRegion));
    }
    return output;
  }

  private JsonNode describeImages(JsonNode input) {
    String repository = requiredString(input, "repositoryName");
    String registryId = optionalString(input, "registryId").orElse(defaultAccountId);
    String tagStatus =
        Optional.ofNullable(input.get("filter"))
            .map(f -> f.get("tagStatus"))
            .map(JsonNode::asText)
            .orElse("ANY");
    ObjectNode output = JSON.createObjectNode();
    ArrayNode details = output.putArray("imageDetails");
    synchronized (this) {
      Map<String, Image> images =
          registryId.equals(defaultAccountId) ? repositories.get(repository) : null;
      if (images == null) {
        throw AwsFault.badRequest(
            "RepositoryNotFoundException",
            "The repository with name '"
                + repository
                + "' does not exist in the registry with id '"
                + registryId
                + "'");
      }
      List<Image> selected = new ArrayList<>();
      JsonNode ids = input.get("imageIds");
      if (ids != null && !ids.isNull() && ids.size() > 0) {
        for (JsonNode id : ids) {
          String digest = id.hasNonNull("imageDigest") ? id.get("imageDigest").asText() : null;
          String tag = id.hasNonNull("imageTag") ? id.get("imageTag").asText() : null;
          Image found =
              images.values().stream()
                  .filter(i -> digest == null || i.digest.equals(digest))
                  .filter(i -> tag == null || i.tags.contains(tag))
                  .findFirst()
                  .orElse(null);
          if (found == null || (digest == null && tag == null)) {
            throw AwsFault.badRequest(
                "ImageNotFoundException",
                "The image with imageId {imageDigest:'"
                    + digest
                    + "', imageTag:'"
                    + tag
                    + "'} does not exist within the repository with name '"
                    + repository
                    + "' in the registry with id '"
                    + registryId
                    + "'");
          }
          if (!selected.contains(found)) {
            selected.add(found);
          }
        }
      } else {
        for (Image i : images.values()) {
          boolean tagged = !i.tags.isEmpty();
          if (tagStatus.equals("ANY")
              || (tagStatus.equals("TAGGED") && tagged)
              || (tagStatus.equals("UNTAGGED") && !tagged)) {
            selected.add(i);
          }
        }
      }
      for (Image i : selected) {
        ObjectNode d =
            details
                .addObject()
                .put("registryId", registryId)
                .put("repositoryName", repository)
                .put("imageDigest", i.digest);
        if (!i.tags.isEmpty()) {
          ArrayNode tags = d.putArray("imageTags");
          i.tags.forEach(tags::add);
        }
        d.put("imageSizeInBytes", 1_000_000L + (i.digest.hashCode() & 0xffff))
            .put("imagePushedAt", epochSeconds(i.pushedAt))
            .put("imageManifestMediaType", MANIFEST_MEDIA_TYPE)
            .put("artifactMediaType", "application/vnd.docker.container.image.v1+json");
      }
    }
    return output;
  }
}
