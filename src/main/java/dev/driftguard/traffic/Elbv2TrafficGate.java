package dev.driftguard.traffic;

import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TrafficSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupAttributesResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealth;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthReasonEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * This instance's targets in ELBv2 target groups: the instance id on a host port in the service's
 * {@code traffic.targetGroupArn}. A service without {@code traffic:} has nothing to flip, so every
 * call is a no-op for it.
 *
 * <p>The waits poll {@code DescribeTargetHealth} for the one target instead of using the SDK's
 * {@code TargetInService}/{@code TargetDeregistered} waiters: the in-service waiter never fails on
 * {@code unhealthy} (it would burn the whole deadline on a target that cannot pass), and the
 * waiters know neither the injected {@link Clock} nor our deadlines. Each poll is one call reported
 * to the {@link AwsCallListener}; an error during a wait does not end it (the next poll may
 * succeed) but a throttled poll doubles the interval, up to {@link #MAX_POLL_INTERVAL}.
 *
 * <p>The drain timeout {@code auto} is the target group's {@code
 * deregistration_delay.timeout_seconds} ({@code DescribeTargetGroupAttributes}, read once per group
 * per process, since it rarely changes and every deploy needs it), capped by {@code
 * drainTimeoutCap}; when the attributes cannot be read the cap is used.
 */
public final class Elbv2TrafficGate implements TrafficGate {
  /** Production poll interval: a target changes state at most every health check interval. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

  /**
   * How long a registered target may stay unhealthy (or unknown to the group) before {@link
   * #awaitHealthy} gives up early. Long enough for ELBv2's eventual consistency right after
   * registering and for a check that flickers; short against the minutes a target whose checks keep
   * failing would otherwise take out of the healthy deadline.
   */
  public static final Duration DEFAULT_UNHEALTHY_GRACE = Duration.ofSeconds(30);

  /** Ceiling of the poll interval after throttling. */
  static final Duration MAX_POLL_INTERVAL = Duration.ofSeconds(16);

  static final String DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds";

  private static final Logger logger = LoggerFactory.getLogger(Elbv2TrafficGate.class);

  private final ElasticLoadBalancingV2Client elbv2;
  private final String instanceId;
  private final AwsCallListener listener;
  private final Clock clock;
  private final Duration pollInterval;
  private final Duration unhealthyGrace;
  private final Pause pause;
  private final Map<String, Duration> deregistrationDelays = new ConcurrentHashMap<>();

  /** Waits between polls; a seam so tests can run the waits in virtual time. */
  @FunctionalInterface
  interface Pause {
    void sleep(Duration duration) throws InterruptedException;
  }

  /**
   * @param instanceId this instance, the target id in every target group
   * @param pollInterval between {@code DescribeTargetHealth} polls while waiting ({@link
   *     #DEFAULT_POLL_INTERVAL} in production)
   * @param unhealthyGrace how long {@link #awaitHealthy} tolerates {@code unhealthy} ({@link
   *     #DEFAULT_UNHEALTHY_GRACE} in production)
   */
  public Elbv2TrafficGate(
      ElasticLoadBalancingV2Client elbv2,
      String instanceId,
      AwsCallListener listener,
      Clock clock,
      Duration pollInterval,
      Duration unhealthyGrace) {
    this(
        elbv2,
        instanceId,
        listener,
        clock,
        pollInterval,
        unhealthyGrace,
        d -> Thread.sleep(Math.max(1, d.toMillis())));
  }

  Elbv2TrafficGate(
      ElasticLoadBalancingV2Client elbv2,
      String instanceId,
      AwsCallListener listener,
      Clock clock,
      Duration pollInterval,
      Duration unhealthyGrace,
      Pause pause) {
    this.elbv2 = Objects.requireNonNull(elbv2, "elbv2");
    if (instanceId == null || instanceId.isBlank()) {
      throw new IllegalArgumentException("instanceId must be set");
    }
    this.instanceId = instanceId;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.pollInterval = positive(pollInterval, "pollInterval");
    this.unhealthyGrace = positive(unhealthyGrace, "unhealthyGrace");
    this.pause = Objects.requireNonNull(pause, "pause");
  }

  /** With the production poll interval and grace, on the system clock. */
  public static Elbv2TrafficGate create(
      ElasticLoadBalancingV2Client elbv2, String instanceId, AwsCallListener listener) {
    return new Elbv2TrafficGate(
        elbv2,
        instanceId,
        listener,
        Clock.systemUTC(),
        DEFAULT_POLL_INTERVAL,
        DEFAULT_UNHEALTHY_GRACE);
  }

  @Override
  public void register(ServiceSpec service, int hostPort) {
    TrafficSpec traffic = service.traffic();
    if (traffic == null) {
      return;
    }
    String arn = traffic.targetGroupArn().value();
    call(
        "RegisterTargets",
        arn,
        hostPort,
        () -> elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(target(hostPort))));
  }

  @Override
  public void deregister(ServiceSpec service, int hostPort) {
    TrafficSpec traffic = service.traffic();
    if (traffic == null) {
      return;
    }
    String arn = traffic.targetGroupArn().value();
    // ELBv2 answers success for a target that is not registered: idempotent as the port asks.
    call(
        "DeregisterTargets",
        arn,
        hostPort,
        () -> elbv2.deregisterTargets(b -> b.targetGroupArn(arn).targets(target(hostPort))));
  }

  @Override
  public void awaitDrained(ServiceSpec service, int hostPort) throws InterruptedException {
    TrafficSpec traffic = service.traffic();
    if (traffic == null) {
      return;
    }
    Duration timeout = drainTimeout(traffic);
    Instant deadline = clock.instant().plus(timeout);
    Duration interval = pollInterval;
    Observation last = null;
    while (true) {
      try {
        last = observe(traffic, hostPort);
        interval = pollInterval;
        if (last.state() == TargetState.UNUSED || last.state() == TargetState.NOT_REGISTERED) {
          return;
        }
      } catch (TrafficGateException e) {
        // Waiting out the drain timeout is safe whatever the API says: keep polling.
        interval = e.throttled() ? backOff(interval) : pollInterval;
      }
      Instant now = clock.instant();
      if (!now.isBefore(deadline)) {
        logger.info(
            "[service={}, target={}:{}] drain timeout {} passed, target still {}; going on",
            service.name(),
            instanceId,
            hostPort,
            timeout,
            last == null ? "unknown" : last.describe());
        return;
      }
      pause.sleep(min(interval, Duration.between(now, deadline)));
    }
  }

  @Override
  public Optional<String> awaitHealthy(ServiceSpec service, int hostPort)
      throws InterruptedException {
    TrafficSpec traffic = service.traffic();
    if (traffic == null) {
      return Optional.empty();
    }
    Instant start = clock.instant();
    Instant deadline = start.plus(traffic.healthyDeadline());
    Duration interval = pollInterval;
    Instant badSince = null;
    String last = "no answer from ELBv2 yet";
    while (true) {
      Instant now;
      try {
        Observation o = observe(traffic, hostPort);
        interval = pollInterval;
        now = clock.instant();
        last = o.describe();
        if (o.state() == TargetState.HEALTHY) {
          return Optional.empty();
        }
        if (failing(o.state())) {
          badSince = badSince == null ? now : badSince;
          if (!now.isBefore(badSince.plus(unhealthyGrace))) {
            return Optional.of(last + " for " + seconds(Duration.between(badSince, now)));
          }
        } else {
          badSince = null;
        }
      } catch (TrafficGateException e) {
        interval = e.throttled() ? backOff(interval) : pollInterval;
        now = clock.instant();
        last = e.getMessage();
      }
      if (!now.isBefore(deadline)) {
        return Optional.of("not healthy within " + traffic.healthyDeadline() + ": " + last);
      }
      pause.sleep(min(interval, Duration.between(now, deadline)));
    }
  }

  @Override
  public TargetState state(ServiceSpec service, int hostPort) {
    TrafficSpec traffic = service.traffic();
    if (traffic == null) {
      return TargetState.NOT_REGISTERED;
    }
    return observe(traffic, hostPort).state();
  }

  /**
   * What the drain waits for: the explicit {@code drainTimeout}, or for {@code auto} the group's
   * deregistration delay capped by {@code drainTimeoutCap}.
   */
  Duration drainTimeout(TrafficSpec traffic) {
    if (traffic.drainTimeout() != null) {
      return traffic.drainTimeout();
    }
    Duration delay = deregistrationDelay(traffic.targetGroupArn().value());
    if (delay == null) {
      return traffic.drainTimeoutCap();
    }
    return min(delay, traffic.drainTimeoutCap());
  }

  /** The group's deregistration delay, cached; null when it cannot be read (not cached then). */
  private Duration deregistrationDelay(String arn) {
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
      logger.warn("{}; draining for the configured cap instead", e.getMessage());
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
        "target group {} reports no usable {}; draining for the configured cap instead",
        arn,
        DEREGISTRATION_DELAY);
    return null;
  }

  /** The target's state now (one {@code DescribeTargetHealth} call for just this target). */
  private Observation observe(TrafficSpec traffic, int hostPort) {
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
        return new Observation(
            map(h.state(), h.reason()), h.stateAsString(), h.reasonAsString(), h.description());
      }
    }
    return new Observation(TargetState.NOT_REGISTERED, "unused", "Target.NotRegistered", null);
  }

  /**
   * ELBv2's states to ours. A described-but-unregistered target comes back {@code unused} with
   * reason {@code Target.NotRegistered}: that is NOT_REGISTERED; other {@code unused} reasons
   * (instance stopped, group not attached to a load balancer) stay UNUSED. {@code
   * unhealthy.draining} is draining. States this SDK does not know are UNAVAILABLE ("no verdict").
   */
  static TargetState map(TargetHealthStateEnum state, TargetHealthReasonEnum reason) {
    if (state == null) {
      return TargetState.UNAVAILABLE;
    }
    return switch (state) {
      case INITIAL -> TargetState.INITIAL;
      case HEALTHY -> TargetState.HEALTHY;
      case UNHEALTHY -> TargetState.UNHEALTHY;
      case UNHEALTHY_DRAINING, DRAINING -> TargetState.DRAINING;
      case UNUSED ->
          reason == TargetHealthReasonEnum.TARGET_NOT_REGISTERED
              ? TargetState.NOT_REGISTERED
              : TargetState.UNUSED;
      default -> TargetState.UNAVAILABLE;
    };
  }

  /** States in which a target just registered will not become healthy without a change. */
  private static boolean failing(TargetState state) {
    return state == TargetState.UNHEALTHY
        || state == TargetState.UNUSED
        || state == TargetState.NOT_REGISTERED
        || state == TargetState.DRAINING;
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
      listener.onError("elbv2", operation, Elbv2Errors.code(e));
      String context =
          (hostPort == null ? "" : "target " + instanceId + ":" + hostPort + " in ")
              + "target group "
              + arn;
      throw new TrafficGateException(
          Elbv2Errors.describe(operation, context, e), Elbv2Errors.throttled(e), e);
    }
  }

  /** {@code 0.3s}, {@code 45s}: short enough for a log line, exact enough for short waits. */
  private static String seconds(Duration d) {
    long millis = d.toMillis();
    return millis < 10_000
        ? String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0)
        : d.toSeconds() + "s";
  }

  private static Duration backOff(Duration interval) {
    return min(interval.multipliedBy(2), MAX_POLL_INTERVAL);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration positive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
    return d;
  }

  /** One answer about the target, with ELBv2's own words for the log and failure reasons. */
  private record Observation(TargetState state, String raw, String reason, String description) {
    /** e.g. {@code unhealthy (Target.ResponseCodeMismatch: Health checks failed with [500])}. */
    String describe() {
      StringBuilder sb = new StringBuilder(raw == null ? state.label() : raw);
      if (reason != null) {
        sb.append(" (").append(reason);
        if (description != null && !description.isBlank()) {
          sb.append(": ").append(description);
        }
        sb.append(")");
      }
      return sb.toString();
    }
  }
}
