package dev.driftguard.testing.aws;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * EC2 over the query protocol (signing name {@code ec2}, {@code Version=2016-11-15}): instances the
 * test adds ({@link #addInstance}) and their tags, through {@code DescribeInstances}, {@code
 * DescribeTags}, {@code CreateTags} and {@code DeleteTags}. Documented behaviours kept:
 *
 * <ul>
 *   <li>an explicit {@code InstanceId} that does not exist is {@code InvalidInstanceID.NotFound} (a
 *       {@code instance-id} <em>filter</em> that matches nothing is an empty answer), a malformed
 *       one {@code InvalidInstanceID.Malformed};
 *   <li>{@code CreateTags}/{@code DeleteTags} on an unknown instance change nothing and fail with
 *       {@code InvalidInstanceID.NotFound};
 *   <li>at most 50 tags per resource ({@code TagLimitExceeded}); keys 1..128 characters, values at
 *       most 256, keys starting {@code aws:} reserved ({@code InvalidParameterValue});
 *   <li>{@code DeleteTags} with a key only deletes whatever the value, with a value only when it
 *       matches, without tags all of the resource's tags;
 *   <li>filter values take {@code *} and {@code ?} wildcards; several values of one filter are
 *       ORed, several filters ANDed.
 * </ul>
 *
 * Every instance is {@code running} at {@code 127.0.0.1} (all agents of a test share the machine).
 * Errors come back as EC2 shapes them: {@code <Response><Errors><Error><Code>}, HTTP 400.
 */
public final class Ec2Service extends QueryService {
  static final String NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";
  public static final int MAX_TAGS_PER_RESOURCE = 50;
  public static final int MAX_KEY_LENGTH = 128;
  public static final int MAX_VALUE_LENGTH = 256;
  private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}([0-9a-f]{9})?");

  private final String region;
  private final String accountId;
  private final Clock clock;
  private final Map<String, Instance> instances = new LinkedHashMap<>();

  /** One instance: what DescribeInstances shows. Tags keep their insertion order. */
  private static final class Instance {
    final String id;
    final String reservationId;
    final String availabilityZone;
    final Instant launchTime;
    final Map<String, String> tags = new LinkedHashMap<>();

    Instance(String id, String availabilityZone, Instant launchTime) {
      this.id = id;
      this.reservationId = "r-" + randomHex(17);
      this.availabilityZone = availabilityZone;
      this.launchTime = launchTime;
    }
  }

  Ec2Service(String region, String accountId, Clock clock) {
    super("ec2", "2016-11-15");
    this.region = region;
    this.accountId = accountId;
    this.clock = clock;
  }

  @Override
  public String key() {
    return "ec2";
  }

  @Override
  List<String> operationNames() {
    return List.of("DescribeInstances", "DescribeTags", "CreateTags", "DeleteTags");
  }

  // ---- test knobs --------------------------------------------------------------------------

  /** A fresh instance id in AWS's long format ({@code i-} and 17 hex digits). */
  public static String newInstanceId() {
    return "i-" + randomHex(17);
  }

  /** Adds a running instance in the region's first zone ({@code us-east-1a}). */
  public void addInstance(String instanceId, Map<String, String> tags) {
    addInstance(instanceId, region + "a", tags);
  }

  /**
   * Adds a running instance. The id must look like AWS's ({@code i-} and 8 or 17 hex digits), as
   * the agent may validate it; tags obey the same limits as {@code CreateTags}.
   */
  public synchronized void addInstance(
      String instanceId, String availabilityZone, Map<String, String> tags) {
    if (!INSTANCE_ID.matcher(instanceId).matches()) {
      throw new IllegalArgumentException(
          "an instance id is i- and 8 or 17 lowercase hex digits (see newInstanceId()): "
              + instanceId);
    }
    if (instances.containsKey(instanceId)) {
      throw new IllegalArgumentException("instance " + instanceId + " exists already");
    }
    validateTags(tags, Set.of());
    if (tags.size() > MAX_TAGS_PER_RESOURCE) {
      throw tagLimit();
    }
    Instance instance =
        new Instance(instanceId, availabilityZone, clock.instant().truncatedTo(ChronoUnit.SECONDS));
    instance.tags.putAll(tags);
    instances.put(instanceId, instance);
  }

  public synchronized boolean hasInstance(String instanceId) {
    return instances.containsKey(instanceId);
  }

  public synchronized List<String> instanceIds() {
    return List.copyOf(instances.keySet());
  }

  /** The instance's tags now (a copy, in insertion order). */
  public synchronized Map<String, String> tags(String instanceId) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(instance(instanceId).tags));
  }

  /** Sets tags as {@code CreateTags} would (overwriting values of existing keys). */
  public synchronized void putTags(String instanceId, Map<String, String> tags) {
    Instance instance = instance(instanceId);
    validateTags(tags, instance.tags.keySet());
    instance.tags.putAll(tags);
  }

  public synchronized String availabilityZone(String instanceId) {
    return instance(instanceId).availabilityZone;
  }

  String region() {
    return region;
  }

  String accountId() {
    return accountId;
  }

  private Instance instance(String instanceId) {
    Instance instance = instances.get(instanceId);
    if (instance == null) {
      throw new IllegalArgumentException("no instance " + instanceId + "; add it first");
    }
    return instance;
  }

  // ---- operations --------------------------------------------------------------------------

  @Override
  synchronized Xml call(String operation, Map<String, String> p) {
    return switch (operation) {
      case "DescribeInstances" -> describeInstances(p);
      case "DescribeTags" -> describeTags(p);
      case "CreateTags" -> createTags(p);
      case "DeleteTags" -> deleteTags(p);
      default -> throw new IllegalStateException(operation);
    };
  }

  private Xml describeInstances(Map<String, String> p) {
    List<String> ids = values(p, "InstanceId");
    requireKnown(ids);
    List<Predicate<Instance>> filters = new ArrayList<>();
    for (Map<String, String> f : members(p, "Filter")) {
      String name = f.getOrDefault("Name", "");
      List<String> wanted = values(f, "Value");
      filters.add(instanceFilter(name, wanted));
    }
    Xml xml = new Xml("DescribeInstancesResponse", NAMESPACE);
    xml.leaf("requestId", requestId()).open("reservationSet");
    for (Instance i : instances.values()) {
      if ((!ids.isEmpty() && !ids.contains(i.id)) || !filters.stream().allMatch(f -> f.test(i))) {
        continue;
      }
      xml.open("item")
          .leaf("reservationId", i.reservationId)
          .leaf("ownerId", accountId)
          .open("groupSet")
          .close("groupSet")
          .open("instancesSet")
          .open("item")
          .leaf("instanceId", i.id)
          .leaf("imageId", "ami-0123456789abcdef0")
          .open("instanceState")
          .leaf("code", 16)
          .leaf("name", "running")
          .close("instanceState")
          .leaf("privateDnsName", "ip-127-0-0-1.ec2.internal")
          .leaf("instanceType", "t3.micro")
          .leaf("launchTime", i.launchTime)
          .open("placement")
          .leaf("availabilityZone", i.availabilityZone)
          .leaf("tenancy", "default")
          .close("placement")
          .leaf("privateIpAddress", "127.0.0.1")
          .leaf("architecture", "x86_64")
          .leaf("rootDeviceType", "ebs");
      tagSet(xml, i.tags);
      xml.close("item").close("instancesSet").close("item");
    }
    return xml.close("reservationSet").close("DescribeInstancesResponse");
  }

  private Predicate<Instance> instanceFilter(String name, List<String> wanted) {
    if (name.equals("instance-id")) {
      return i -> anyMatches(wanted, i.id);
    }
    if (name.equals("tag-key")) {
      return i -> i.tags.keySet().stream().anyMatch(k -> anyMatches(wanted, k));
    }
    if (name.startsWith("tag:")) {
      String key = name.substring(4);
      return i -> i.tags.containsKey(key) && anyMatches(wanted, i.tags.get(key));
    }
    if (name.equals("instance-state-name")) {
      return i -> anyMatches(wanted, "running");
    }
    if (name.equals("availability-zone")) {
      return i -> anyMatches(wanted, i.availabilityZone);
    }
    throw invalidFilter(name);
  }

  private Xml describeTags(Map<String, String> p) {
    List<Predicate<TagRow>> filters = new ArrayList<>();
    for (Map<String, String> f : members(p, "Filter")) {
      String name = f.getOrDefault("Name", "");
      List<String> wanted = values(f, "Value");
      filters.add(
          switch (name) {
            case "resource-id" -> t -> anyMatches(wanted, t.resourceId());
            case "resource-type" -> t -> anyMatches(wanted, "instance");
            case "key" -> t -> anyMatches(wanted, t.key());
            case "value" -> t -> anyMatches(wanted, t.value());
            default -> throw invalidFilter(name);
          });
    }
    Xml xml = new Xml("DescribeTagsResponse", NAMESPACE);
    xml.leaf("requestId", requestId()).open("tagSet");
    for (Instance i : instances.values()) {
      for (Map.Entry<String, String> tag : i.tags.entrySet()) {
        TagRow row = new TagRow(i.id, tag.getKey(), tag.getValue());
        if (filters.stream().allMatch(f -> f.test(row))) {
          xml.open("item")
              .leaf("resourceId", row.resourceId())
              .leaf("resourceType", "instance")
              .leaf("key", row.key())
              .leaf("value", row.value())
              .close("item");
        }
      }
    }
    return xml.close("tagSet").close("DescribeTagsResponse");
  }

  private record TagRow(String resourceId, String key, String value) {}

  private Xml createTags(Map<String, String> p) {
    List<String> ids = resourceIds(p);
    List<Map<String, String>> tagMembers = members(p, "Tag");
    if (tagMembers.isEmpty()) {
      throw AwsFault.badRequest("MissingParameter", "The request must contain the parameter Tag");
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (Map<String, String> t : tagMembers) {
      tags.put(t.getOrDefault("Key", ""), t.getOrDefault("Value", ""));
    }
    // Validate everything first: AWS applies all the tags to all the resources or nothing.
    for (String id : ids) {
      Instance instance = instances.get(id);
      validateTags(tags, instance.tags.keySet());
      long after =
          instance.tags.size()
              + tags.keySet().stream().filter(k -> !instance.tags.containsKey(k)).count();
      if (after > MAX_TAGS_PER_RESOURCE) {
        throw tagLimit();
      }
    }
    for (String id : ids) {
      instances.get(id).tags.putAll(tags);
    }
    return new Xml("CreateTagsResponse", NAMESPACE)
        .leaf("requestId", requestId())
        .leaf("return", true)
        .close("CreateTagsResponse");
  }

  private Xml deleteTags(Map<String, String> p) {
    List<String> ids = resourceIds(p);
    List<Map<String, String>> tagMembers = members(p, "Tag");
    for (Map<String, String> t : tagMembers) {
      if (t.getOrDefault("Key", "").toLowerCase(Locale.ROOT).startsWith("aws:")) {
        throw AwsFault.badRequest(
            "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use");
      }
    }
    for (String id : ids) {
      Map<String, String> tags = instances.get(id).tags;
      if (tagMembers.isEmpty()) {
        tags.clear();
        continue;
      }
      for (Map<String, String> t : tagMembers) {
        String key = t.getOrDefault("Key", "");
        // A value given (even empty) deletes only when it matches; no value deletes the key.
        if (!t.containsKey("Value")
            || Optional.ofNullable(tags.get(key))
                .map(v -> v.equals(t.get("Value")))
                .orElse(false)) {
          tags.remove(key);
        }
      }
    }
    return new Xml("DeleteTagsResponse", NAMESPACE)
        .leaf("requestId", requestId())
        .leaf("return", true)
        .close("DeleteTagsResponse");
  }

  // ---- helpers -------------------------------------------------------------------------------

  private List<String> resourceIds(Map<String, String> p) {
    List<String> ids = values(p, "ResourceId");
    if (ids.isEmpty()) {
      throw AwsFault.badRequest(
          "MissingParameter", "The request must contain the parameter ResourceId");
    }
    for (String id : ids) {
      if (!id.startsWith("i-")) {
        throw AwsFault.badRequest("InvalidID", "The ID '" + id + "' is not valid");
      }
    }
    requireKnown(ids);
    return ids;
  }

  private void requireKnown(List<String> ids) {
    List<String> missing = new ArrayList<>();
    for (String id : ids) {
      if (!INSTANCE_ID.matcher(id).matches()) {
        throw AwsFault.badRequest("InvalidInstanceID.Malformed", "Invalid id: \"" + id + "\"");
      }
      if (!instances.containsKey(id)) {
        missing.add(id);
      }
    }
    if (missing.size() == 1) {
      throw AwsFault.badRequest(
          "InvalidInstanceID.NotFound", "The instance ID '" + missing.get(0) + "' does not exist");
    }
    if (!missing.isEmpty()) {
      throw AwsFault.badRequest(
          "InvalidInstanceID.NotFound",
          "The instance IDs '" + String.join(", ", missing) + "' do not exist");
    }
  }

  private static void validateTags(Map<String, String> tags, Set<String> existing) {
    for (Map.Entry<String, String> t : tags.entrySet()) {
      String key = t.getKey();
      if (key == null || key.isEmpty()) {
        throw AwsFault.badRequest("InvalidParameterValue", "Tag key must have a value");
      }
      if (key.length() > MAX_KEY_LENGTH) {
        throw AwsFault.badRequest(
            "InvalidParameterValue",
            "Tag key exceeds the maximum length of " + MAX_KEY_LENGTH + " characters");
      }
      if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
        throw AwsFault.badRequest(
            "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use");
      }
      String value = t.getValue() == null ? "" : t.getValue();
      if (value.length() > MAX_VALUE_LENGTH) {
        throw AwsFault.badRequest(
            "InvalidParameterValue",
            "Tag value exceeds the maximum length of " + MAX_VALUE_LENGTH + " characters");
      }
    }
  }

  private static AwsFault tagLimit() {
    return AwsFault.badRequest(
        "TagLimitExceeded", "The maximum number of Tags for a resource has been reached.");
  }

  private static AwsFault invalidFilter(String name) {
    return AwsFault.badRequest("InvalidParameterValue", "The filter '" + name + "' is invalid");
  }

  private static void tagSet(Xml xml, Map<String, String> tags) {
    xml.open("tagSet");
    tags.forEach((k, v) -> xml.open("item").leaf("key", k).leaf("value", v).close("item"));
    xml.close("tagSet");
  }

  private static boolean anyMatches(List<String> patterns, String value) {
    return patterns.stream().anyMatch(p -> glob(p).matcher(value).matches());
  }

  /** EC2 filter values: {@code *} any run, {@code ?} one character, {@code \} escapes. */
  static Pattern glob(String pattern) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '\\' && i + 1 < pattern.length()) {
        regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
      } else if (c == '*') {
        regex.append(".*");
      } else if (c == '?') {
        regex.append('.');
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  private static String randomHex(int digits) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < digits; i++) {
      s.append(Character.forDigit(ThreadLocalRandom.current().nextInt(16), 16));
    }
    return s.toString();
  }

  @Override
  public AwsReply error(AwsFault fault) {
    // EC2's own error shape: no namespace, RequestID spelled in capitals.
    String body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>"
            + escape(fault.code())
            + "</Code><Message>"
            + escape(fault.getMessage() == null ? "" : fault.getMessage())
            + "</Message></Error></Errors><RequestID>"
            + requestId()
            + "</RequestID></Response>";
    return AwsReply.text(fault.status(), CONTENT_TYPE, body);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
