package dev.driftguard.host;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import software.amazon.awssdk.core.document.Document;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataClientException;
import software.amazon.awssdk.imds.Ec2MetadataResponse;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeTagsResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.TagDescription;

/**
 * This EC2 instance's identity from the instance metadata service (IMDSv2: the SDK client fetches
 * and renews the session token itself).
 *
 * <p>Instance id, region and zone never change while the instance lives, so they are read once and
 * cached. Tags are read once too (the {@code ${tag:Name}} of the configuration is resolved at
 * start-up) and re-read only by {@link #refreshTags()}: from metadata tags ({@code tags/instance})
 * when the instance has them enabled, otherwise (IMDS answers 404) from EC2 {@code DescribeTags},
 * which needs the instance role's {@code ec2:DescribeTags}.
 *
 * <p>{@link #terminationNotice()} is never cached: the loop polls it to drain before the host goes.
 *
 * <p>Calls are reported to the {@link AwsCallListener} as service {@code imds} with the metadata
 * path as the operation ({@code instance-id}, {@code tags/instance/KEY}, ...). A 404 where IMDS
 * uses it to say "nothing here" (no spot notice, not in an Auto Scaling group, metadata tags off)
 * is an answer, not an error. Error codes are {@code Http<status>} or the SDK exception's class
 * name for failures that never got an answer.
 */
public final class ImdsInstanceIdentity implements InstanceIdentity {
  static final String INSTANCE_ID = "instance-id";
  static final String REGION = "placement/region";
  static final String ZONE = "placement/availability-zone";
  static final String TAGS = "tags/instance";

  /** How the SDK's IMDS client words a 200 answer without a body (DefaultEc2MetadataClient). */
  static final String EMPTY_BODY = "Response body empty with Status Code 200";

  static final String SPOT_ACTION = "spot/instance-action";
  static final String LIFECYCLE = "autoscaling/target-lifecycle-state";

  private static final String PREFIX = "/latest/meta-data/";
  private static final String DESCRIBE_TAGS = "DescribeTags";

  private final Ec2MetadataClient imds;
  private final Supplier<Ec2Client> ec2;
  private final AwsCallListener listener;

  private String instanceId;
  private String region;
  private String availabilityZone;
  private Map<String, String> tags;

  /**
   * @param imds the IMDS client ({@code AwsClients#imds()})
   * @param ec2 the EC2 client, asked for only when metadata tags are off; a supplier because on EC2
   *     that client's region comes from this identity
   */
  public ImdsInstanceIdentity(
      Ec2MetadataClient imds, Supplier<Ec2Client> ec2, AwsCallListener listener) {
    this.imds = Objects.requireNonNull(imds, "imds");
    this.ec2 = Objects.requireNonNull(ec2, "ec2");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public synchronized String instanceId() {
    if (instanceId == null) {
      instanceId = required(INSTANCE_ID);
    }
    return instanceId;
  }

  @Override
  public synchronized String region() {
    if (region == null) {
      region = required(REGION);
    }
    return region;
  }

  @Override
  public synchronized String availabilityZone() {
    if (availabilityZone == null) {
      availabilityZone = required(ZONE);
    }
    return availabilityZone;
  }

  @Override
  public synchronized Map<String, String> tags() {
    if (tags == null) {
      tags = readTags();
    }
    return tags;
  }

  /** Reads the tags again (they change: the agent's own published state is among them). */
  public synchronized Map<String, String> refreshTags() {
    tags = readTags();
    return tags;
  }

  @Override
  public Optional<String> terminationNotice() {
    Optional<String> spot = get(SPOT_ACTION, SPOT_ACTION);
    if (spot.isPresent()) {
      return Optional.of(describeSpotAction(spot.get()));
    }
    Optional<String> lifecycle = get(LIFECYCLE, LIFECYCLE).map(String::strip);
    // Target lifecycle states: InService, Standby, Terminated, Warmed:Terminated, Detached, ...
    // Only termination means the host goes; a warm pool's Warmed:Stopped comes back.
    if (lifecycle.isPresent() && lifecycle.get().toLowerCase(Locale.ROOT).contains("terminat")) {
      return Optional.of("Auto Scaling target lifecycle state " + lifecycle.get());
    }
    return Optional.empty();
  }

  /** {@code {"action": "terminate", "time": "2017-09-18T08:22:00Z"}} to words for the log. */
  private static String describeSpotAction(String json) {
    String action = "interruption";
    String time = null;
    try {
      Document doc = Ec2MetadataResponse.create(json).asDocument();
      if (doc != null && doc.isMap()) {
        Document a = doc.asMap().get("action");
        Document t = doc.asMap().get("time");
        action = a != null && a.isString() ? a.asString() : action;
        time = t != null && t.isString() ? t.asString() : null;
      }
    } catch (RuntimeException e) {
      // The notice itself is what matters; an unexpected body still announces it.
    }
    return "spot interruption (" + action + ")" + (time == null ? "" : " at " + time);
  }

  private Map<String, String> readTags() {
    Optional<String> keys = get(TAGS, TAGS);
    if (keys.isEmpty()) {
      return describeTags(instanceId());
    }
    Map<String, String> read = new TreeMap<>();
    for (String key : keys.get().split("\n")) {
      String k = key.strip();
      if (!k.isEmpty()) {
        // A tag removed between the listing and this read is simply gone.
        tagValue(k).ifPresent(v -> read.put(k, v));
      }
    }
    return Collections.unmodifiableMap(read);
  }

  private Map<String, String> describeTags(String id) {
    Map<String, String> read = new TreeMap<>();
    Ec2Client client;
    try {
      client = ec2.get();
    } catch (SdkException e) {
      throw new InstanceIdentityException(
          "cannot read the tags of instance " + id + ": no EC2 client: " + e.getMessage(), e);
    }
    String token = null;
    do {
      String next = token;
      DescribeTagsResponse response;
      try {
        response =
            client.describeTags(
                b ->
                    b.filters(
                            Filter.builder().name("resource-id").values(id).build(),
                            Filter.builder().name("resource-type").values("instance").build())
                        .nextToken(next));
      } catch (SdkException e) {
        String code = AwsErrors.code(e);
        listener.onError("ec2", DESCRIBE_TAGS, code);
        throw new InstanceIdentityException(
            "cannot read the tags of instance "
                + id
                + ": instance metadata tags are off and EC2 DescribeTags failed: "
                + AwsErrors.reason(e)
                + " (enable metadata tags, or grant ec2:DescribeTags to the instance role)",
            e);
      }
      listener.onSuccess("ec2", DESCRIBE_TAGS);
      for (TagDescription tag : response.tags()) {
        read.put(tag.key(), tag.value() == null ? "" : tag.value());
      }
      token = response.nextToken();
    } while (token != null && !token.isEmpty());
    return Collections.unmodifiableMap(read);
  }

  /**
   * One tag's value; empty when the tag is gone. EC2 allows empty tag values (the agent's own
   * published state clears keys that way) and IMDS answers them with an empty 200 body, which the
   * SDK's client reports as an error rather than as "": that one answer is an empty value, not a
   * failure, or one cleared tag would stop the configuration from loading.
   */
  private Optional<String> tagValue(String key) {
    return get(TAGS + "/" + key, TAGS + "/KEY", true);
  }

  private String required(String path) {
    return get(path, path)
        .map(String::strip)
        .orElseThrow(
            () ->
                new InstanceIdentityException(
                    "IMDS has no " + PREFIX + path + " (HTTP 404); is this an EC2 instance?",
                    null));
  }

  /**
   * GET a metadata path; empty on 404.
   *
   * @param operation the bounded label reported to the listener
   */
  private Optional<String> get(String path, String operation) {
    return get(path, operation, false);
  }

  /**
   * @param emptyIsValue an empty 200 answer is the value "" (see {@link #tagValue}), not an error
   */
  private Optional<String> get(String path, String operation, boolean emptyIsValue) {
    try {
      String value = imds.get(PREFIX + path).asString();
      listener.onSuccess("imds", operation);
      return Optional.of(value);
    } catch (Ec2MetadataClientException e) {
      if (e.statusCode() == 404) {
        listener.onSuccess("imds", operation);
        return Optional.empty();
      }
      listener.onError("imds", operation, "Http" + e.statusCode());
      // The exception's message may echo the response body; the status is what matters.
      throw new InstanceIdentityException(
          "IMDS GET " + PREFIX + path + " failed: HTTP " + e.statusCode() + hint(), e);
    } catch (SdkException e) {
      if (emptyIsValue
          && e instanceof SdkClientException
          && e.getMessage() != null
          && e.getMessage().startsWith(EMPTY_BODY)) {
        listener.onSuccess("imds", operation);
        return Optional.of("");
      }
      listener.onError("imds", operation, e.getClass().getSimpleName());
      throw new InstanceIdentityException(
          "IMDS GET "
              + PREFIX
              + path
              + " failed: "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage())
              + hint(),
          e);
    }
  }

  private static String hint() {
    return " (IMDSv2 must be reachable: on EC2 check the metadata options, and a hop limit of 2"
        + " when the agent runs in a container; off EC2 set agent.aws.instanceId and region)";
  }
}
