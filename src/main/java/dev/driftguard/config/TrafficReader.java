package dev.driftguard.config;

import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.TargetGroupArn;
import dev.driftguard.model.TrafficSpec;
import java.time.Duration;
import java.util.List;

/**
 * Reads a service's {@code traffic:} section, the ELBv2 target group it serves behind (absent for
 * workers). The registered host port defaults to the one that publishes the health check's port,
 * since that is the port known to serve; the waits are bounded by ELBv2's own limits, because a
 * host that drains or waits holds a fleet slot all that time.
 */
final class TrafficReader {
  static final String[] KEYS = {
    "targetGroupArn", "port", "drainTimeout", "drainTimeoutCap", "healthyDeadline"
  };
  static final Duration DEFAULT_DRAIN_TIMEOUT_CAP = Duration.ofSeconds(300);
  static final Duration DEFAULT_HEALTHY_DEADLINE = Duration.ofSeconds(300);

  /** ELBv2's own maximum deregistration delay (3600 s). */
  static final Duration MAX_DRAIN_TIMEOUT = Duration.ofHours(1);

  /**
   * ELBv2 needs at most healthy threshold 10 x interval 300 s = 50 min to call a target healthy.
   */
  static final Duration MAX_HEALTHY_DEADLINE = Duration.ofHours(1);

  private TrafficReader() {}

  /**
   * The target group settings, or null when they have an error (reported). {@code ports} are the
   * service's published ports; {@code health} (null when it did not validate) picks the default
   * port.
   */
  static TrafficSpec read(YamlMap traffic, List<PublishedPort> ports, HealthSpec health) {
    Problems problems = traffic.problems();
    TargetGroupArn arn = traffic.value("targetGroupArn", TargetGroupArn::parse).orElse(null);
    if (!traffic.has("targetGroupArn")) {
      problems.add(
          traffic.path("targetGroupArn"),
          "required (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID);"
              + " omit traffic for services without a load balancer");
    }

    int port = 0;
    List<PortBinding> tcp =
        ports.stream().map(PublishedPort::binding).filter(p -> p.protocol().equals("tcp")).toList();
    if (traffic.has("port")) {
      port = traffic.port("port").orElse(0);
      int hostPort = port;
      if (port != 0 && tcp.stream().noneMatch(p -> p.hostPort() == hostPort)) {
        problems.add(
            traffic.path("port"),
            "host port "
                + port
                + " is not published in container.ports (the target group"
                + " sends traffic to a host port)");
      }
    } else if (health != null && health.port() != 0) {
      port =
          tcp.stream()
              .filter(p -> p.containerPort() == health.port())
              .mapToInt(PortBinding::hostPort)
              .findFirst()
              .orElse(0);
    } else if (tcp.size() == 1) {
      port = tcp.get(0).hostPort();
    } else if (tcp.isEmpty()) {
      problems.add(
          traffic.path("port"),
          "the service publishes no tcp port for the target group (add one to container.ports)");
    } else {
      problems.add(
          traffic.path("port"),
          "required: the service publishes "
              + tcp.size()
              + " tcp ports and no http/tcp"
              + " health port says which one the target group uses");
    }

    String drainWhy = "ELBv2's longest deregistration delay; a draining host holds a fleet slot";
    Duration drainTimeout =
        traffic
            .value("drainTimeout", v -> YamlMap.isAuto(v) ? Duration.ZERO : Durations.parse(v))
            .filter(d -> traffic.atMost("drainTimeout", d, MAX_DRAIN_TIMEOUT, drainWhy))
            .orElse(Duration.ZERO);
    boolean autoDrain =
        traffic.text("drainTimeout").map(t -> YamlMap.isAuto(t.value())).orElse(true);
    Duration cap =
        traffic
            .duration("drainTimeoutCap")
            .filter(d -> traffic.atMost("drainTimeoutCap", d, MAX_DRAIN_TIMEOUT, drainWhy))
            .orElse(DEFAULT_DRAIN_TIMEOUT_CAP);
    Duration healthyDeadline =
        traffic
            .positiveDuration("healthyDeadline")
            .filter(
                d ->
                    traffic.atMost(
                        "healthyDeadline",
                        d,
                        MAX_HEALTHY_DEADLINE,
                        "ELBv2 calls a target healthy within 50 minutes at its slowest settings"))
            .orElse(DEFAULT_HEALTHY_DEADLINE);
    if (arn == null || port == 0) {
      return null;
    }
    int targetPort = port;
    return traffic.construct(
        () ->
            new TrafficSpec(
                arn, targetPort, autoDrain ? null : drainTimeout, cap, healthyDeadline));
  }
}
