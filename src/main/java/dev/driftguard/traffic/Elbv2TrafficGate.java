package dev.driftguard.traffic;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetId;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupAttributesResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealth;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/**
 * This instance's targets in ELBv2 target groups: the instance id on a host port in the service's
 * {@code traffic.targetGroupArn}. Nothing here waits: the deploy steps poll {@link #state} (one
 * {@code DescribeTargetHealth} for just this target) at their own pace. That is also why the SDK's
 * {@code TargetInService}/{@code TargetDeregistered} waiters are not used: the in-service waiter
 * never fails on {@code unhealthy}, and neither knows the agent's clock or deadlines.
 *
 * <p>The drain timeout {@code auto} is the target group's {@code
 * deregistration_delay.timeout_seconds} ({@code DescribeTargetGroupAttributes}, read once per group
 * per process, since it rarely changes and every deploy needs it), capped by {@code
 * drainTimeoutCap}; when the attributes cannot be read the cap is used. The group's health-check
 * interval and healthy threshold ({@code DescribeTargetGroups}) are cached the same way, once they
 * were read: they bound how soon a registered target can be healthy ({@link #healthCheck}); a
 * throttled read throws (the step retries soon), any other failure assumes ELBv2's defaults.
 */
public final class Elbv2TrafficGate implements TrafficGate {
  static final String DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds";

  /**
   * ELBv2's defaults for a new target group (30 s, 5 passes), assumed when the group's own settings
   * cannot be read: what most groups run with, and longer than fast-rollout settings.
   */
  static final TargetHealthCheck AWS_DEFAULT_HEALTH_CHECK =
      new TargetHealthCheck(Duration.ofSeconds(30), 5);

  private static final String WITHOUT_HEALTH_CHECK =
      "a registered target is first read after ELBv2's default checks (5 x 30 s) instead";

  private static final String WITHOUT_DELAY =
      "drainTimeout auto drains for drainTimeoutCap, and a draining target is polled";

  private static final Logger logger = LoggerFactory.getLogger(Elbv2TrafficGate.class);

  private final ElasticLoadBalancingV2Client elbv2;
  private final String instanceId;
  private final AwsCallListener listener;
  private final Map<String, Duration> deregistrationDelays = new ConcurrentHashMap<>();
  private final Map<String, TargetHealthCheck> healthChecks = new ConcurrentHashMap<>();

  /**
   * @param instanceId this instance, the target id in every target group
   */
  public Elbv2TrafficGate(
      ElasticLoadBalancingV2Client elbv2, String instanceId, AwsCallListener listener) {
    this.elbv2 = Objects.requireNonNull(elbv2, "elbv2");
    if (instanceId == null || instanceId.isBlank()) {
      throw new IllegalArgumentException("instanceId must be set");
    }
    this.instanceId = instanceId;
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public void register(TrafficSpec traffic, int hostPort) {
    String arn = traffic.targetGroupArn().value();
    call(
        "RegisterTargets",
        arn,
        hostPort,
        () -> elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(target(hostPort))));
  }

  @Override
  public void deregister(TrafficSpec traffic, int hostPort) {
    String arn = traffic.targetGroupArn().value();
    // ELBv2 answers success for a target that is not registered: idempotent as the port asks.
    call(
        "DeregisterTargets",
        arn,
        hostPort,
        () -> elbv2.deregisterTargets(b -> b.targetGroupArn(arn).targets(target(hostPort))));
  }

  @Override
  public void call(TargetCall call, TrafficSpec traffic, int hostPort, List<TargetId> peers) {
    if (peers.isEmpty()) {
      TrafficGate.super.call(call, traffic, hostPort, peers);
      return;
    }
    String arn = traffic.targetGroupArn().value();
    List<TargetDescription> targets = new ArrayList<>();
    targets.add(target(hostPort));
    for (TargetId peer : peers) {
      targets.add(TargetDescription.builder().id(peer.instanceId()).port(peer.port()).build());
    }
    // The deadline covers the SDK's retries: a peer counts on this call landing within it or
    // never (TrafficGate#BATCH_DEADLINE).
    if (call == TargetCall.REGISTER) {
      call(
          "RegisterTargets",
          arn,
          hostPort,
          () ->
              elbv2.registerTargets(
                  b ->
                      b.targetGroupArn(arn)
                          .targets(targets)
                          .overrideConfiguration(o -> o.apiCallTimeout(BATCH_DEADLINE))));
    } else {
      call(
          "DeregisterTargets",
          arn,
          hostPort,
          () ->
              elbv2.deregisterTargets(
                  b ->
                      b.targetGroupArn(arn)
                          .targets(targets)
                          .overrideConfiguration(o -> o.apiCallTimeout(BATCH_DEADLINE))));
    }
  }

  @Override
  public TargetState state(TrafficSpec traffic, int hostPort) {
    String arn = traffic.targetGroupArn().value();
    DescribeTargetHealthResponse response =
        call(
            "DescribeTargetHealth",
            arn,
            hostPort,
            () -> elbv2.describeTargetHealth(b -> b.targetGroupArn(arn).targets(target(hostPort))));
    for (TargetHealthDescription d : response.targetHealthDescriptions()) {
      TargetDescription t = d.target();
      if (t != null
          && instanceId.equals(t.id())
          && (t.port() == null || t.port() == hostPort)
          && d.targetHealth() != null) {
        TargetHealth h = d.targetHealth();
        return TargetState.fromElbv2(h.stateAsString(), h.reasonAsString());
      }
    }
    return TargetState.NOT_REGISTERED;
  }

  @Override
  public Duration drainTimeout(TrafficSpec traffic) {
    if (traffic.drainTimeout() != null) {
      return traffic.drainTimeout();
    }
    Duration delay = readDeregistrationDelay(traffic.targetGroupArn().value());
    if (delay == null) {
      return traffic.drainTimeoutCap();
    }
    return delay.compareTo(traffic.drainTimeoutCap()) <= 0 ? delay : traffic.drainTimeoutCap();
  }

  @Override
  public TargetHealthCheck healthCheck(TrafficSpec traffic) {
    String arn = traffic.targetGroupArn().value();
    TargetHealthCheck cached = healthChecks.get(arn);
    if (cached != null) {
      return cached;
    }
    DescribeTargetGroupsResponse response;
    try {
      response =
          call(
              "DescribeTargetGroups",
              arn,
              null,
              () -> elbv2.describeTargetGroups(b -> b.targetGroupArns(arn)));
    } catch (TrafficGateException e) {
      if (e.throttled()) {
        throw e;
      }
      // Refused for good (a policy without DescribeTargetGroups after an upgrade, say): waiting
      // for ELBv2's default checks is slower than the group's own but still honest, where
      // failing would keep a restored host from ever finishing.
      logger.warn("{}; {}", e.getMessage(), WITHOUT_HEALTH_CHECK);
      return AWS_DEFAULT_HEALTH_CHECK;
    }
    for (TargetGroup group : response.targetGroups()) {
      if (arn.equals(group.targetGroupArn())
          && group.healthCheckIntervalSeconds() != null
          && group.healthyThresholdCount() != null) {
        TargetHealthCheck check =
            new TargetHealthCheck(
                Duration.ofSeconds(group.healthCheckIntervalSeconds()),
                group.healthyThresholdCount());
        healthChecks.put(arn, check);
        return check;
      }
    }
    logger.warn(
        "target group {} reports no health-check interval and healthy threshold; {}",
        arn,
        WITHOUT_HEALTH_CHECK);
    return AWS_DEFAULT_HEALTH_CHECK;
  }

  @Override
  public Optional<Duration> deregistrationDelay(TrafficSpec traffic) {
    return Optional.ofNullable(readDeregistrationDelay(traffic.targetGroupArn().value()));
  }

  @Override
  public Optional<GroupSettings> knownGroupSettings(TrafficSpec traffic) {
    String arn = traffic.targetGroupArn().value();
    Duration delay = deregistrationDelays.get(arn);
    TargetHealthCheck check = healthChecks.get(arn);
    return delay == null || check == null
        ? Optional.empty()
        : Optional.of(new GroupSettings(delay, check));
  }

  @Override
  public void adoptGroupSettings(TrafficSpec traffic, GroupSettings settings) {
    String arn = traffic.targetGroupArn().value();
    deregistrationDelays.put(arn, settings.deregistrationDelay());
    healthChecks.put(arn, settings.healthCheck());
  }

  @Override
  public void learnGroupSettings(TrafficSpec traffic) {
    String arn = traffic.targetGroupArn().value();
    readDeregistrationDelay(arn, true);
    healthCheck(traffic);
  }

  private Duration readDeregistrationDelay(String arn) {
    return readDeregistrationDelay(arn, false);
  }

  /**
   * The group's deregistration delay, cached; null when it cannot be read (not cached then).
   *
   * @param throwWhenThrottled whether a throttled read throws rather than answering null
   */
  private Duration readDeregistrationDelay(String arn, boolean throwWhenThrottled) {
    Duration cached = deregistrationDelays.get(arn);
    if (cached != null) {
      return cached;
    }
    DescribeTargetGroupAttributesResponse response;
    try {
      response =
          call(
              "DescribeTargetGroupAttributes",
              arn,
              null,
              () -> elbv2.describeTargetGroupAttributes(b -> b.targetGroupArn(arn)));
    } catch (TrafficGateException e) {
      if (e.throttled() && throwWhenThrottled) {
        throw e;
      }
      logger.warn("{}; {}", e.getMessage(), WITHOUT_DELAY);
      return null;
    }
    for (TargetGroupAttribute attribute : response.attributes()) {
      if (DEREGISTRATION_DELAY.equals(attribute.key())) {
        try {
          Duration delay = Duration.ofSeconds(Long.parseLong(attribute.value().strip()));
          deregistrationDelays.put(arn, delay);
          return delay;
        } catch (NumberFormatException | NullPointerException e) {
          break;
        }
      }
    }
    logger.warn(
        "target group {} reports no usable {}; {}", arn, DEREGISTRATION_DELAY, WITHOUT_DELAY);
    return null;
  }

  private TargetDescription target(int hostPort) {
    return TargetDescription.builder().id(instanceId).port(hostPort).build();
  }

  private <T> T call(String operation, String arn, Integer hostPort, Supplier<T> request) {
    try {
      T response = request.get();
      listener.onSuccess("elbv2", operation);
      return response;
    } catch (SdkException e) {
      listener.onError("elbv2", operation, AwsErrors.code(e));
      String context =
          (hostPort == null ? "" : "target " + instanceId + ":" + hostPort + " in ")
              + "target group "
              + arn;
      // A call carrying peers that ran out of its deadline may land yet, or not: tried again
      // after a pause, as a throttled one is, rather than ending the deploy.
      boolean retry = AwsErrors.throttled(e) || e instanceof ApiCallTimeoutException;
      throw new TrafficGateException(AwsErrors.failed("ELBv2", operation, context, e), retry, e);
    }
  }
}
