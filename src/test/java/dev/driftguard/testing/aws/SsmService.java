package dev.driftguard.testing.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SSM Parameter Store over JSON 1.1 ({@code X-Amz-Target: AmazonSSM.*}): {@code GetParameter},
 * {@code GetParameters}, {@code PutParameter}, {@code DeleteParameter} and {@code
 * GetParameterHistory}, with the documented behaviours the agent relies on:
 *
 * <ul>
 *   <li>every write makes a new version (1, 2, ...); AWS keeps the last 100;
 *   <li>{@code PutParameter} on an existing name without {@code Overwrite} is {@code
 *       ParameterAlreadyExists}; a new name needs a {@code Type};
 *   <li>{@code GetParameters} takes 1 to 10 names ({@code ValidationException} otherwise) and lists
 *       names that do not exist in {@code InvalidParameters};
 *   <li>{@code SecureString} values come back in plain text only with {@code WithDecryption=true},
 *       otherwise as an opaque ciphertext;
 *   <li>{@code name:version} selectors read an older version.
 * </ul>
 *
 * Test knobs: {@link #put}, {@link #putSecure}, {@link #delete}, {@link #value}, {@link #version}.
 */
public final class SsmService extends JsonService {
  /** Standard-tier parameters hold at most 4 KB; advanced ones 8 KB. */
  static final int STANDARD_MAX_VALUE = 4096;

  static final int ADVANCED_MAX_VALUE = 8192;
  static final int MAX_VERSIONS = 100;
  static final int MAX_NAMES = 10;
  private static final Pattern NAME_CHARS = Pattern.compile("[a-zA-Z0-9_.\\-/]+");
  private static final Pattern SELECTOR = Pattern.compile("(.+):([0-9]+)");
  private static final Set<String> TYPES = Set.of("String", "StringList", "SecureString");

  private final String region;
  private final String accountId;
  private final Clock clock;
  private final Map<String, List<Version>> parameters = new HashMap<>();

  /** One stored version of a parameter. */
  private record Version(
      String name,
      String type,
      String value,
      long version,
      Instant modified,
      String tier,
      String description) {}

  SsmService(String region, String accountId, Clock clock) {
    super("AmazonSSM");
    this.region = region;
    this.accountId = accountId;
    this.clock = clock;
  }

  @Override
  public String key() {
    return "ssm";
  }

  @Override
  protected Map<String, Function<JsonNode, JsonNode>> operations() {
    return Map.of(
        "GetParameter", this::getParameter,
        "GetParameters", this::getParameters,
        "PutParameter", this::putParameter,
        "DeleteParameter", this::deleteParameter,
        "GetParameterHistory", this::getParameterHistory);
  }

  String region() {
    return region;
  }

  // ---- test knobs --------------------------------------------------------------------------

  /** Creates or overwrites a String parameter; returns its new version. */
  public long put(String name, String value) {
    return write(name, value, "String", true, "Standard", null);
  }

  /** Creates or overwrites a SecureString parameter; returns its new version. */
  public long putSecure(String name, String value) {
    return write(name, value, "SecureString", true, "Standard", null);
  }

  /** Removes a parameter and its history; true when it existed. */
  public synchronized boolean delete(String name) {
    return parameters.remove(name) != null;
  }

  /** The current (decrypted) value. */
  public synchronized Optional<String> value(String name) {
    return latest(name).map(Version::value);
  }

  /** The current version, or 0 when the parameter does not exist. */
  public synchronized long version(String name) {
    return latest(name).map(Version::version).orElse(0L);
  }

  // ---- operations --------------------------------------------------------------------------

  private JsonNode getParameter(JsonNode input) {
    String name = requiredString(input, "Name");
    boolean decrypt = optionalBoolean(input, "WithDecryption");
    synchronized (this) {
      Lookup lookup = lookup(name);
      if (lookup.found == null) {
        if (lookup.selector != null && parameters.containsKey(lookup.name)) {
          throw AwsFault.badRequest(
              "ParameterVersionNotFound",
              "Systems Manager could not find version "
                  + lookup.selector.substring(1)
                  + " of "
                  + lookup.name
                  + ". Verify the version and try again.");
        }
        throw AwsFault.badRequest("ParameterNotFound", null);
      }
      return JSON.createObjectNode()
          .set("Parameter", parameterNode(lookup.found, decrypt, lookup.selector));
    }
  }

  private JsonNode getParameters(JsonNode input) {
    JsonNode namesNode = input.get("Names");
    if (namesNode == null || namesNode.isNull()) {
      throw AwsFault.validation(
          "1 validation error detected: Value null at 'names' failed to satisfy constraint: Member"
              + " must not be null");
    }
    List<String> names = new ArrayList<>();
    namesNode.forEach(n -> names.add(n.asText()));
    if (names.isEmpty() || names.size() > MAX_NAMES) {
      throw AwsFault.validation(
          "1 validation error detected: Value '"
              + names
              + "' at 'names' failed to satisfy constraint: Member must have length "
              + (names.isEmpty()
                  ? "greater than or equal to 1"
                  : "less than or equal to " + MAX_NAMES));
    }
    boolean decrypt = optionalBoolean(input, "WithDecryption");
    ObjectNode output = JSON.createObjectNode();
    ArrayNode found = output.putArray("Parameters");
    ArrayNode invalid = output.putArray("InvalidParameters");
    synchronized (this) {
      for (String name : new LinkedHashSet<>(names)) {
        Lookup lookup = lookup(name);
        if (lookup.found == null) {
          invalid.add(name);
        } else {
          found.add(parameterNode(lookup.found, decrypt, lookup.selector));
        }
      }
    }
    return output;
  }

  private JsonNode putParameter(JsonNode input) {
    String name = requiredString(input, "Name").strip();
    String value = requiredString(input, "Value");
    String type = optionalString(input, "Type").orElse(null);
    boolean overwrite = optionalBoolean(input, "Overwrite");
    String tier = optionalString(input, "Tier").orElse("Standard");
    String description = optionalString(input, "Description").orElse(null);
    long version = write(name, value, type, overwrite, tier, description);
    return JSON.createObjectNode().put("Version", version).put("Tier", tier);
  }

  private JsonNode deleteParameter(JsonNode input) {
    String name = requiredString(input, "Name");
    if (!delete(name)) {
      throw AwsFault.badRequest("ParameterNotFound", null);
    }
    return JSON.createObjectNode();
  }

  private JsonNode getParameterHistory(JsonNode input) {
    String name = requiredString(input, "Name");
    boolean decrypt = optionalBoolean(input, "WithDecryption");
    int maxResults = input.has("MaxResults") ? input.get("MaxResults").asInt() : 50;
    if (maxResults < 1 || maxResults > 50) {
      throw AwsFault.validation(
          "1 validation error detected: Value '"
              + maxResults
              + "' at 'maxResults' failed to satisfy constraint: Member must have value "
              + (maxResults < 1 ? "greater than or equal to 1" : "less than or equal to 50"));
    }
    int start = 0;
    Optional<String> token = optionalString(input, "NextToken");
    if (token.isPresent()) {
      try {
        start =
            Integer.parseInt(
                new String(Base64.getDecoder().decode(token.get()), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw AwsFault.badRequest("InvalidNextToken", "The specified token isn't valid.");
      }
    }
    ObjectNode output = JSON.createObjectNode();
    synchronized (this) {
      List<Version> versions = parameters.get(name);
      if (versions == null) {
        throw AwsFault.badRequest("ParameterNotFound", null);
      }
      if (start < 0 || start > versions.size()) {
        throw AwsFault.badRequest("InvalidNextToken", "The specified token isn't valid.");
      }
      ArrayNode list = output.putArray("Parameters");
      int end = Math.min(versions.size(), start + maxResults);
      for (Version v : versions.subList(start, end)) {
        ObjectNode node = list.addObject();
        node.put("Name", v.name())
            .put("Type", v.type())
            .put("LastModifiedDate", epochSeconds(v.modified()))
            .put("LastModifiedUser", "arn:aws:iam::" + accountId + ":user/local-aws")
            .put("Value", shown(v, decrypt))
            .put("Version", v.version())
            .put("Tier", v.tier())
            .put("DataType", "text");
        if (v.description() != null) {
          node.put("Description", v.description());
        }
        if (v.type().equals("SecureString")) {
          node.put("KeyId", "alias/aws/ssm");
        }
        node.putArray("Labels");
        node.putArray("Policies");
      }
      if (end < versions.size()) {
        output.put(
            "NextToken",
            Base64.getEncoder()
                .encodeToString(Integer.toString(end).getBytes(StandardCharsets.UTF_8)));
      }
    }
    return output;
  }

  // ---- model ---------------------------------------------------------------------------------

  private synchronized long write(
      String name, String value, String type, boolean overwrite, String tier, String description) {
    validateName(name);
    if (!tier.equals("Standard")
        && !tier.equals("Advanced")
        && !tier.equals("Intelligent-Tiering")) {
      throw AwsFault.validation(
          "1 validation error detected: Value '"
              + tier
              + "' at 'tier' failed to satisfy constraint: Member must satisfy"
              + " enum value set: [Advanced, Intelligent-Tiering, Standard]");
    }
    if (value.isEmpty()) {
      throw AwsFault.validation(
          "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must"
              + " have length greater than or equal to 1");
    }
    if (tier.equals("Standard") && value.length() > STANDARD_MAX_VALUE) {
      throw AwsFault.validation(
          "Standard tier parameters support a maximum parameter value of 4096 characters. To create"
              + " a larger parameter value, upgrade the parameter to use the advanced-parameter"
              + " tier.");
    }
    if (value.length() > ADVANCED_MAX_VALUE) {
      throw AwsFault.validation(
          "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must"
              + " have length less than or equal to 8192");
    }
    if (type != null && !TYPES.contains(type)) {
      throw AwsFault.validation(
          "1 validation error detected: Value '"
              + type
              + "' at 'type' failed to satisfy constraint: Member must satisfy"
              + " enum value set: [SecureString, StringList, String]");
    }
    List<Version> versions = parameters.get(name);
    if (versions != null && !overwrite) {
      throw AwsFault.badRequest(
          "ParameterAlreadyExists",
          "The parameter already exists. To overwrite this value, set the overwrite option in the"
              + " request to true.");
    }
    if (versions == null && type == null) {
      throw AwsFault.validation("A parameter type is required when you create a parameter.");
    }
    Version previous = versions == null ? null : versions.get(versions.size() - 1);
    long next = previous == null ? 1 : previous.version() + 1;
    String effectiveType = type != null ? type : previous.type();
    String effectiveDescription =
        description != null ? description : previous == null ? null : previous.description();
    if (versions == null) {
      versions = new ArrayList<>();
      parameters.put(name, versions);
    }
    versions.add(
        new Version(name, effectiveType, value, next, clock.instant(), tier, effectiveDescription));
    if (versions.size() > MAX_VERSIONS) {
      // AWS drops the oldest unlabelled version once a parameter has 100.
      versions.remove(0);
    }
    return next;
  }

  private static void validateName(String name) {
    if (name.isEmpty() || name.length() > 2048) {
      throw AwsFault.validation(
          "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must"
              + " have length between 1 and 2048");
    }
    String bare = name.startsWith("/") ? name.substring(1) : name;
    String lower = bare.toLowerCase(Locale.ROOT);
    if (lower.startsWith("aws") || lower.startsWith("ssm")) {
      throw AwsFault.validation(
          "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
    }
    if (!NAME_CHARS.matcher(name).matches()) {
      throw AwsFault.validation(
          "Parameter name: can only contain the letters a-z, A-Z, 0-9, and the symbols _ . - /");
    }
    if (name.contains("/") && !name.startsWith("/")) {
      throw AwsFault.validation("Parameter name must be a fully qualified name.");
    }
    if (name.chars().filter(c -> c == '/').count() > 15) {
      throw AwsFault.badRequest(
          "HierarchyLevelLimitExceededException",
          "A hierarchy can have a maximum of 15 levels. For more information, see"
              + " https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html");
    }
  }

  private record Lookup(String name, String selector, Version found) {}

  private Lookup lookup(String requested) {
    Matcher m = SELECTOR.matcher(requested);
    if (m.matches()) {
      String name = m.group(1);
      long wanted = Long.parseLong(m.group(2));
      Version found =
          parameters.getOrDefault(name, List.of()).stream()
              .filter(v -> v.version() == wanted)
              .findFirst()
              .orElse(null);
      return new Lookup(name, ":" + m.group(2), found);
    }
    return new Lookup(requested, null, latest(requested).orElse(null));
  }

  private Optional<Version> latest(String name) {
    List<Version> versions = parameters.get(name);
    return versions == null || versions.isEmpty()
        ? Optional.empty()
        : Optional.of(versions.get(versions.size() - 1));
  }

  private ObjectNode parameterNode(Version v, boolean decrypt, String selector) {
    ObjectNode node = JSON.createObjectNode();
    node.put("Name", v.name())
        .put("Type", v.type())
        .put("Value", shown(v, decrypt))
        .put("Version", v.version())
        .put("LastModifiedDate", epochSeconds(v.modified()))
        .put("ARN", arn(v.name()))
        .put("DataType", "text");
    if (selector != null) {
      node.put("Selector", selector);
    }
    return node;
  }

  private String arn(String name) {
    return "arn:aws:ssm:"
        + region
        + ":"
        + accountId
        + ":parameter"
        + (name.startsWith("/") ? "" : "/")
        + name;
  }

  /** A SecureString without decryption shows an opaque KMS-like blob, never the plain text. */
  private static String shown(Version v, boolean decrypt) {
    if (!v.type().equals("SecureString") || decrypt) {
      return v.value();
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(
          (v.name() + '\0' + v.version() + '\0' + v.value()).getBytes(StandardCharsets.UTF_8));
      byte[] hash = sha.digest();
      byte[] blob = new byte[5 + hash.length];
      // 01 02 02 00 78: the header of a KMS ciphertext blob, so it looks like one.
      blob[0] = 1;
      blob[1] = 2;
      blob[2] = 2;
      blob[3] = 0;
      blob[4] = 0x78;
      System.arraycopy(hash, 0, blob, 5, hash.length);
      return Base64.getEncoder().encodeToString(blob);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
