package dev.driftguard.sim;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DeregisterTargetsRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DeregisterTargetsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupAttributesRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupAttributesResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupsRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ElasticLoadBalancingV2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.InvalidTargetException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.RegisterTargetsRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.RegisterTargetsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealth;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/**
 * ELBv2 as the agent's adapters call it: RegisterTargets and DeregisterTargets change the target
 * group's truth at once; DescribeTargetHealth answers from lagged state; the group's deregistration
 * delay comes from DescribeTargetGroupAttributes, its health-check interval and thresholds from
 * DescribeTargetGroups. Throttling is {@code Throttling} (HTTP 400) from the account's Describe*
 * bucket and the register/deregister buckets.
 */
public final class SimElbv2Client implements ElasticLoadBalancingV2Client {
  private final SimAws aws;

  public SimElbv2Client(SimAws aws) {
    this.aws = aws;
  }

  private void admit(String operation, ApiLimit limit) {
    aws.admit(
        "elbv2:" + operation,
        limit.name(),
        null,
        1,
        () ->
            SimAws.error(
                ElasticLoadBalancingV2Exception.builder(),
                "ElasticLoadBalancingV2",
                400,
                "Throttling",
                "Rate exceeded"));
  }

  private SimTargetGroup group(String arn) {
    SimTargetGroup group = aws.targetGroups.get(arn);
    if (group == null) {
      throw SimAws.error(
          TargetGroupNotFoundException.builder(),
          "ElasticLoadBalancingV2",
          400,
          "TargetGroupNotFound",
          "One or more target groups not found");
    }
    return group;
  }

  @Override
  public RegisterTargetsResponse registerTargets(RegisterTargetsRequest request) {
    admit("RegisterTargets", aws.registrationLimit(ApiLimit.ELBV2_REGISTER));
    SimTargetGroup group = group(request.targetGroupArn());
    for (TargetDescription t : request.targets()) {
      if (aws.terminated.contains(t.id())) {
        // As ELBv2: the whole request fails, every other target in it unregistered.
        throw SimAws.error(
            InvalidTargetException.builder(),
            "ElasticLoadBalancingV2",
            400,
            "InvalidTarget",
            "The following targets are not in a running state and cannot be registered: '"
                + t.id()
                + "'");
      }
    }
    apply(
        request.targets(), request.overrideConfiguration(), t -> group.register(t.id(), t.port()));
    return RegisterTargetsResponse.builder().build();
  }

  @Override
  public DeregisterTargetsResponse deregisterTargets(DeregisterTargetsRequest request) {
    admit("DeregisterTargets", aws.registrationLimit(ApiLimit.ELBV2_DEREGISTER));
    SimTargetGroup group = group(request.targetGroupArn());
    apply(
        request.targets(),
        request.overrideConfiguration(),
        t -> group.deregister(t.id(), t.port()));
    return DeregisterTargetsResponse.builder().build();
  }

  /**
   * Applies a registration call to its targets, at once, or for a share of the calls that carry
   * peers' targets ({@link SimAws#LATE_BATCH_CALLS}) late: the caller's client gives up at its
   * deadline (an {@link ApiCallTimeoutException}) and ELBv2 applies the request at a random moment
   * up to that deadline, the worst a slow network and the SDK's retries can do. A call without a
   * deadline may land up to {@link SimAws#UNBOUNDED_LATE_MILLIS} late.
   */
  private void apply(
      List<TargetDescription> targets,
      java.util.Optional<AwsRequestOverrideConfiguration> override,
      java.util.function.Consumer<TargetDescription> change) {
    aws.registrationCalls++;
    aws.registrationTargets += targets.size();
    if (targets.size() > 1 && aws.random.nextDouble() < SimAws.LATE_BATCH_CALLS) {
      long deadline =
          override
              .flatMap(AwsRequestOverrideConfiguration::apiCallTimeout)
              .map(java.time.Duration::toMillis)
              .orElse(SimAws.UNBOUNDED_LATE_MILLIS);
      aws.lateCalls++;
      List<TargetDescription> late = List.copyOf(targets);
      aws.scheduler.after(
          java.time.Duration.ofMillis(aws.random.nextLong(deadline + 1)),
          () -> late.forEach(change));
      throw ApiCallTimeoutException.create(deadline);
    }
    targets.forEach(change);
  }

  @Override
  public DescribeTargetHealthResponse describeTargetHealth(DescribeTargetHealthRequest request) {
    admit("DescribeTargetHealth", ApiLimit.ELBV2_DESCRIBE);
    SimTargetGroup group = group(request.targetGroupArn());
    long now = aws.scheduler.now();
    List<TargetHealthDescription> out = new ArrayList<>();
    if (request.hasTargets() && !request.targets().isEmpty()) {
      for (TargetDescription asked : request.targets()) {
        SimTargetGroup.Target t = group.target(asked.id(), asked.port());
        SimTargetGroup.Health h = t == null ? SimTargetGroup.Health.GONE : t.seen.read(now);
        out.add(describe(asked.id(), asked.port(), h));
      }
    } else {
      for (SimTargetGroup.Target t : group.targets.values()) {
        SimTargetGroup.Health h = t.seen.read(now);
        if (h != SimTargetGroup.Health.GONE) {
          out.add(describe(t.instanceId, t.port, h));
        }
      }
    }
    return DescribeTargetHealthResponse.builder().targetHealthDescriptions(out).build();
  }

  @Override
  public DescribeTargetGroupAttributesResponse describeTargetGroupAttributes(
      DescribeTargetGroupAttributesRequest request) {
    admit("DescribeTargetGroupAttributes", ApiLimit.ELBV2_DESCRIBE);
    SimTargetGroup group = group(request.targetGroupArn());
    return DescribeTargetGroupAttributesResponse.builder()
        .attributes(
            TargetGroupAttribute.builder()
                .key("deregistration_delay.timeout_seconds")
                .value(Long.toString(group.deregistrationDelayMillis / 1000))
                .build())
        .build();
  }

  @Override
  public DescribeTargetGroupsResponse describeTargetGroups(DescribeTargetGroupsRequest request) {
    admit("DescribeTargetGroups", ApiLimit.ELBV2_DESCRIBE);
    List<TargetGroup> out = new ArrayList<>();
    for (String arn : request.targetGroupArns()) {
      SimTargetGroup group = group(arn);
      out.add(
          TargetGroup.builder()
              .targetGroupArn(arn)
              .healthCheckEnabled(true)
              // AWS configures and reports the interval in whole seconds.
              .healthCheckIntervalSeconds((int) ((group.intervalMillis + 999) / 1000))
              .healthyThresholdCount(group.healthyThreshold)
              .unhealthyThresholdCount(group.unhealthyThreshold)
              .build());
    }
    return DescribeTargetGroupsResponse.builder().targetGroups(out).build();
  }

  private static TargetHealthDescription describe(String id, int port, SimTargetGroup.Health h) {
    TargetHealth.Builder health = TargetHealth.builder().state(h.state());
    if (h.reason() != null) {
      health.reason(h.reason());
    }
    return TargetHealthDescription.builder()
        .target(TargetDescription.builder().id(id).port(port).build())
        .targetHealth(health.build())
        .build();
  }

  @Override
  public String serviceName() {
    return SERVICE_NAME;
  }

  @Override
  public void close() {}

  /** For tests: the exception this client throws when throttled. */
  static AwsServiceException throttled() {
    return SimAws.error(
        ElasticLoadBalancingV2Exception.builder(),
        "ElasticLoadBalancingV2",
        400,
        "Throttling",
        "Rate exceeded");
  }
}
