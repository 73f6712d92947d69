package dev.driftguard.sim;

import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.DynamoTables;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * One simulated AWS account and region, shared by every simulated host: Parameter Store, EC2 tags,
 * ELBv2 target groups and DynamoDB tables, behind per-account token buckets ({@link ApiLimit}),
 * with eventually consistent reads (tags, target health and parameters lag their writes by a delay
 * drawn uniformly from {@code [0, lagMillis]}; DynamoDB's strongly consistent reads do not lag).
 * The SDK-level clients ({@link SimSsmClient}, {@link SimElbv2Client}, {@link SimEc2Client}, {@link
 * SimDynamoDbClient}) answer from here, failing with the exception types and error codes the SDK
 * raises, so the agent's real adapters run unchanged.
 *
 * <p>Deviation from the real SDK: the clients make one attempt per call (no SDK retries), so every
 * throttled attempt reaches the agent's own backoff; throttling here is therefore an upper bound.
 */
public final class SimAws {
  /** Parameter versions as Parameter Store keeps them. */
  record Parameter(String value, long version) {}

  /**
   * The share of registration calls carrying several targets (a host's own and its peers') that
   * time out at the caller and land later, within the call's deadline.
   */
  static final double LATE_BATCH_CALLS = 0.05;

  /** How late a call without a deadline of its own may land. */
  static final long UNBOUNDED_LATE_MILLIS = 120_000;

  /** Instances the ASG terminated: ELBv2 refuses to register them. */
  final java.util.Set<String> terminated = new java.util.HashSet<>();

  /**
   * RegisterTargets and DeregisterTargets calls that reached the group, and targets they carried.
   */
  long registrationCalls;

  long registrationTargets;

  /** Of those, the calls that timed out at the caller and landed late. */
  long lateCalls;

  final Scheduler scheduler;
  final SplittableRandom random;
  final long lagMillis;
  private final Map<String, ApiLimit> limits = new HashMap<>();
  private final Map<String, TokenBucket> buckets = new HashMap<>();
  private final Map<String, ApiStats> stats = new TreeMap<>();
  final Map<String, Lagged<Parameter>> parameters = new HashMap<>();

  /** Tag key -> instance -> value (null once deleted). */
  final Map<String, Map<String, Lagged<String>>> tags = new HashMap<>();

  final Map<String, SimTargetGroup> targetGroups = new LinkedHashMap<>();
  final DynamoTables dynamo = new DynamoTables();

  public SimAws(
      Scheduler scheduler, SplittableRandom random, long lagMillis, List<ApiLimit> limits) {
    this.scheduler = scheduler;
    this.random = random;
    this.lagMillis = lagMillis;
    for (ApiLimit limit : limits) {
      this.limits.put(limit.name(), limit);
    }
  }

  /**
   * AWS's default limits ({@link ApiLimit}'s constants), RegisterTargets and DeregisterTargets in
   * one shared bucket: the reading with a source (docs/design/fleet-at-scale.md, "Parameters").
   */
  public static List<ApiLimit> defaultLimits() {
    return defaultLimits(true);
  }

  /**
   * AWS's default limits, with RegisterTargets and DeregisterTargets in one shared bucket when
   * {@code sharedRegistration}, else in one bucket each (the model's earlier reading, kept to
   * compare).
   */
  public static List<ApiLimit> defaultLimits(boolean sharedRegistration) {
    List<ApiLimit> registration =
        sharedRegistration
            ? List.of(ApiLimit.ELBV2_REGISTRATION)
            : List.of(ApiLimit.ELBV2_REGISTER, ApiLimit.ELBV2_DEREGISTER);
    List<ApiLimit> all = new ArrayList<>(registration);
    all.addAll(
        List.of(
            ApiLimit.SSM,
            ApiLimit.ELBV2_DESCRIBE,
            ApiLimit.EC2_DESCRIBE,
            ApiLimit.EC2_MUTATE,
            ApiLimit.DYNAMODB_READ,
            ApiLimit.DYNAMODB_WRITE));
    return List.copyOf(all);
  }

  /** The bucket a registration call takes from: the shared one when configured, else its own. */
  ApiLimit registrationLimit(ApiLimit own) {
    ApiLimit shared = limits.get(ApiLimit.ELBV2_REGISTRATION.name());
    return shared != null ? shared : own;
  }

  long lag() {
    return lagMillis <= 0 ? 0 : random.nextLong(lagMillis + 1);
  }

  /**
   * Counts a call of {@code api} against bucket {@code limitName} (per {@code partition} for
   * DynamoDB), or throws {@code throttle}'s exception when the bucket is empty.
   */
  void admit(
      String api,
      String limitName,
      String partition,
      double cost,
      Supplier<AwsServiceException> throttle) {
    ApiLimit limit = limits.get(limitName);
    ApiStats s = stats.computeIfAbsent(api, k -> new ApiStats(k, limit));
    if (limit == null) {
      s.record(scheduler.now(), false);
      return;
    }
    TokenBucket bucket =
        buckets.computeIfAbsent(
            limitName + (partition == null ? "" : "#" + partition), k -> limit.bucket());
    boolean ok = bucket.tryTake(scheduler.now(), cost);
    s.record(scheduler.now(), !ok);
    if (!ok) {
      throw throttle.get();
    }
  }

  /** Per API: calls, throttled calls, per-second counts. */
  List<ApiStats> stats() {
    return new ArrayList<>(stats.values());
  }

  /** Builds the SDK's exception of a service the way its response handler would. */
  static <B extends AwsServiceException.Builder> AwsServiceException error(
      B builder, String service, int status, String code, String message) {
    builder
        .message(message + " (Service: " + service + ", Status Code: " + status + ")")
        .statusCode(status)
        .awsErrorDetails(
            AwsErrorDetails.builder()
                .errorCode(code)
                .errorMessage(message)
                .serviceName(service)
                .sdkHttpResponse(SdkHttpResponse.builder().statusCode(status).build())
                .build());
    return builder.build();
  }

  /** An {@link AwsFault} of the shared DynamoDB model as the SDK would raise it. */
  static AwsServiceException dynamoError(AwsFault fault) {
    return SimDynamoDbClient.translate(fault);
  }

  // ---- SSM ---------------------------------------------------------------------------------

  /** An operator's {@code put-parameter --overwrite}: a new version, visible after the lag. */
  public long pin(String name, String value) {
    Lagged<Parameter> p = parameters.computeIfAbsent(name, k -> new Lagged<>(null));
    Parameter previous = p.truth();
    long version = previous == null ? 1 : previous.version() + 1;
    p.write(scheduler.now(), lag(), new Parameter(value, version));
    return version;
  }

  /** Seeds a parameter visible at once (the state before the simulation starts). */
  void seedParameter(String name, String value) {
    Lagged<Parameter> p = parameters.computeIfAbsent(name, k -> new Lagged<>(null));
    p.write(scheduler.now(), 0, new Parameter(value, 1));
  }

  // ---- ELBv2 -------------------------------------------------------------------------------

  SimTargetGroup createTargetGroup(
      String arn,
      long intervalMillis,
      int healthyThreshold,
      int unhealthyThreshold,
      long deregistrationDelayMillis,
      SimTargetGroup.Probe probe,
      SimTargetGroup.Listener listener) {
    SimTargetGroup group =
        new SimTargetGroup(
            arn,
            intervalMillis,
            healthyThreshold,
            unhealthyThreshold,
            deregistrationDelayMillis,
            scheduler,
            random,
            lagMillis,
            probe,
            listener);
    targetGroups.put(arn, group);
    return group;
  }

  // ---- EC2 tags ----------------------------------------------------------------------------

  void writeTag(String instanceId, String key, String value) {
    tags.computeIfAbsent(key, k -> new HashMap<>())
        .computeIfAbsent(instanceId, k -> new Lagged<>(null))
        .write(scheduler.now(), lag(), value);
  }
}
