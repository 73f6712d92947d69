package dev.driftguard.testing;

import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.Digest;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Ready-made specs and images for unit tests. */
public final class Specs {
  public static final String REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

  private Specs() {}

  /**
   * An image of {@code web} whose digest is {@code n} repeated (e.g. digest('1') = sha256:111...).
   */
  public static ImageRef image(char n) {
    return new ImageRef(
        REGISTRY, "web", null, Digest.parse("sha256:" + String.valueOf(n).repeat(64)));
  }

  public static ContainerSpec container() {
    return new ContainerSpec(
        List.of(PortBinding.parse("127.0.0.1:18080:8080")),
        Map.of("GREETING", "hello"),
        Map.of(),
        List.of(),
        List.of(),
        "SIGTERM",
        Duration.ofSeconds(10),
        0);
  }

  public static HealthSpec dockerHealth() {
    return new HealthSpec(
        HealthSpec.Type.DOCKER,
        8080,
        "/healthz",
        Duration.ofSeconds(2),
        Duration.ofSeconds(1),
        2,
        Duration.ofSeconds(30));
  }

  public static ServiceSpec web() {
    return service("web", container(), true);
  }

  /** {@code web} behind a target group on host port 18080, with the given strategy. */
  public static ServiceSpec webBehindLoadBalancer(RolloutSpec.Strategy strategy) {
    return webBehindLoadBalancer(strategy, 1);
  }

  public static ServiceSpec webBehindLoadBalancer(
      RolloutSpec.Strategy strategy, int maxUnavailable) {
    return new ServiceSpec(
        "web",
        new DesiredSource.Ssm("/driftguard/web/image"),
        Set.of(REGISTRY),
        container(),
        new HealthSpec(
            HealthSpec.Type.HTTP,
            8080,
            "/healthz",
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            2,
            Duration.ofSeconds(30)),
        new dev.driftguard.model.TrafficSpec(
            dev.driftguard.model.TargetGroupArn.parse(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"),
            18080,
            null,
            Duration.ofMinutes(5),
            Duration.ofMinutes(5)),
        new RolloutSpec(
            strategy,
            maxUnavailable,
            false,
            true,
            strategy == RolloutSpec.Strategy.START_FIRST ? 18081 : 0));
  }

  /**
   * {@code web} behind the target group {@code targetGroupArn} on host port 18080; {@code
   * drainTimeout} null for {@code auto}.
   */
  public static ServiceSpec webBehind(
      String targetGroupArn, Duration drainTimeout, Duration drainTimeoutCap) {
    ServiceSpec web = webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
    return withTraffic(
        web,
        new dev.driftguard.model.TrafficSpec(
            dev.driftguard.model.TargetGroupArn.parse(targetGroupArn),
            web.traffic().port(),
            drainTimeout,
            drainTimeoutCap,
            web.traffic().healthyDeadline()));
  }

  /** {@code service} behind {@code traffic} instead. */
  public static ServiceSpec withTraffic(
      ServiceSpec service, dev.driftguard.model.TrafficSpec traffic) {
    return new ServiceSpec(
        service.name(),
        service.desired(),
        service.allowedRegistries(),
        service.container(),
        service.health(),
        traffic,
        service.rollout());
  }

  public static ServiceSpec service(String name, ContainerSpec container, boolean rollback) {
    return new ServiceSpec(
        name,
        new DesiredSource.Ssm("/driftguard/" + name + "/image"),
        Set.of(REGISTRY),
        container,
        dockerHealth(),
        null,
        new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 1, false, rollback, 0));
  }
}
