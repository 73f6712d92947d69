package dev.driftguard.testing.aws;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * EC2 Auto Scaling over the query protocol (signing name {@code autoscaling}, {@code
 * Version=2011-01-01}): groups the test creates ({@link #createGroup}) with instances EC2 knows
 * ({@link #attachInstance}), and {@code SetInstanceHealth}, what the agent's self-report calls.
 * Documented behaviours kept:
 *
 * <ul>
 *   <li>an instance in no group is {@code ValidationError} "Instance Id not found - No managed
 *       instance found for instance ID: i-…" (AWS's words);
 *   <li>with {@code ShouldRespectGracePeriod} (AWS's default when absent), an instance younger than
 *       its group's health check grace period is {@code ValidationError} "The age of the instance
 *       (N seconds) is less than the configured grace period of M seconds", and nothing changes;
 *   <li>{@code InstanceId} and {@code HealthStatus} are required, the id at most 19 characters
 *       ({@code ValidationError}, AWS's constraint wording); a status other than {@code Healthy} or
 *       {@code Unhealthy} is a {@code ValidationError} too (that wording is ours).
 * </ul>
 *
 * An instance set {@code Unhealthy} stays in the group ({@link #health}); replacing it is the
 * group's business, which tests do not need. Errors come back as {@code
 * <ErrorResponse><Error><Type>Sender</Type><Code>}, HTTP 400 ({@code ResourceContention}: 500).
 */
public final class AutoScalingService extends QueryService {
  static final String NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/";
  private static final int MAX_INSTANCE_ID_LENGTH = 19;

  private final Ec2Service ec2;
  private final Clock clock;
  private final Map<String, Group> groups = new LinkedHashMap<>();

  private static final class Group {
    final Duration gracePeriod;
    final Map<String, Member> members = new LinkedHashMap<>();

    Group(Duration gracePeriod) {
      this.gracePeriod = gracePeriod;
    }
  }

  private static final class Member {
    final Instant launchedAt;
    String health = "Healthy";

    Member(Instant launchedAt) {
      this.launchedAt = launchedAt;
    }
  }

  AutoScalingService(Ec2Service ec2, Clock clock) {
    super("autoscaling", "2011-01-01");
    this.ec2 = ec2;
    this.clock = clock;
  }

  @Override
  public String key() {
    return "autoscaling";
  }

  @Override
  List<String> operationNames() {
    return List.of("SetInstanceHealth");
  }

  // ---- test knobs --------------------------------------------------------------------------

  /** Creates a group with a health check grace period (AWS's default for the API is 0). */
  public synchronized void createGroup(String name, Duration gracePeriod) {
    if (groups.containsKey(name)) {
      throw new IllegalArgumentException("group " + name + " exists already");
    }
    groups.put(name, new Group(gracePeriod));
  }

  /** Puts an instance EC2 knows into {@code group}, launched now. */
  public void attachInstance(String group, String instanceId) {
    attachInstance(group, instanceId, clock.instant());
  }

  /** Puts an instance EC2 knows into {@code group}, launched at {@code launchedAt}. */
  public synchronized void attachInstance(String group, String instanceId, Instant launchedAt) {
    if (!ec2.hasInstance(instanceId)) {
      throw new IllegalArgumentException("no instance " + instanceId + "; add it to EC2 first");
    }
    Group g = groups.get(group);
    if (g == null) {
      throw new IllegalArgumentException("no group " + group);
    }
    if (groupOf(instanceId).isPresent()) {
      throw new IllegalArgumentException(instanceId + " is already in a group");
    }
    g.members.put(instanceId, new Member(launchedAt));
  }

  /** {@code Healthy} or {@code Unhealthy}, as {@code DescribeAutoScalingInstances} would say. */
  public synchronized String health(String instanceId) {
    return groupOf(instanceId)
        .map(g -> g.members.get(instanceId).health)
        .orElseThrow(() -> new IllegalArgumentException(instanceId + " is in no group"));
  }

  private Optional<Group> groupOf(String instanceId) {
    return groups.values().stream().filter(g -> g.members.containsKey(instanceId)).findFirst();
  }

  // ---- API ---------------------------------------------------------------------------------

  @Override
  Xml call(String operation, Map<String, String> parameters) {
    return setInstanceHealth(parameters);
  }

  private synchronized Xml setInstanceHealth(Map<String, String> p) {
    String instanceId = required(p, "InstanceId");
    String status = required(p, "HealthStatus");
    if (instanceId.length() > MAX_INSTANCE_ID_LENGTH) {
      throw validationError(
          "1 validation error detected: Value '"
              + instanceId
              + "' at 'instanceId' failed to satisfy constraint: Member must have length less"
              + " than or equal to "
              + MAX_INSTANCE_ID_LENGTH);
    }
    if (!status.equals("Healthy") && !status.equals("Unhealthy")) {
      throw validationError("Valid health statuses are Healthy and Unhealthy, not " + status);
    }
    Group group =
        groupOf(instanceId)
            .orElseThrow(
                () ->
                    validationError(
                        "Instance Id not found - No managed instance found for instance ID: "
                            + instanceId));
    Member member = group.members.get(instanceId);
    boolean respectGracePeriod =
        !"false".equalsIgnoreCase(p.getOrDefault("ShouldRespectGracePeriod", "true"));
    long age = Duration.between(member.launchedAt, clock.instant()).getSeconds();
    if (respectGracePeriod && age < group.gracePeriod.getSeconds()) {
      throw validationError(
          "The age of the instance ("
              + age
              + " seconds) is less than the configured grace period of "
              + group.gracePeriod.getSeconds()
              + " seconds");
    }
    member.health = status;
    return new Xml("SetInstanceHealthResponse", NAMESPACE)
        .open("ResponseMetadata")
        .leaf("RequestId", requestId())
        .close("ResponseMetadata")
        .close("SetInstanceHealthResponse");
  }

  private static String required(Map<String, String> p, String name) {
    String value = p.get(name);
    if (value == null || value.isEmpty()) {
      throw validationError(
          "1 validation error detected: Value null at '"
              + Character.toLowerCase(name.charAt(0))
              + name.substring(1)
              + "' failed to satisfy constraint: Member must not be null");
    }
    return value;
  }

  /** Auto Scaling's code for its own checks is {@code ValidationError}, not ...Exception. */
  private static AwsFault validationError(String message) {
    return AwsFault.badRequest("ValidationError", message);
  }

  @Override
  public AwsReply error(AwsFault fault) {
    return errorResponse(NAMESPACE, fault);
  }
}
