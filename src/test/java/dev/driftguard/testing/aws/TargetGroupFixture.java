package dev.driftguard.testing.aws;

import dev.driftguard.cli.AwsClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;

/**
 * One local endpoint with one target group whose health checks reach two local applications, for
 * the contract suites of the traffic and fleet adapters: the groups check every 100 ms, so a target
 * turns healthy or unhealthy within a fraction of a second, and drain for {@link
 * #DEREGISTRATION_DELAY}, a whole second so that the attribute the adapter reads is the delay the
 * group keeps. EC2 tags and target registrations read back at once: the endpoint has no read lag.
 */
public final class TargetGroupFixture implements AutoCloseable {
  public static final Duration DEREGISTRATION_DELAY = Duration.ofSeconds(1);
  public static final int HEALTHY_THRESHOLD = 2;
  private static final Duration CHECK_INTERVAL = Duration.ofMillis(100);

  /** Generous against a loaded machine: a check that times out would make a target flicker. */
  private static final Duration CHECK_TIMEOUT = Duration.ofMillis(90);

  private final LocalAws aws;
  private final AwsClients clients;
  private final TestTarget app;
  private final TestTarget otherApp;
  private final String arn;

  public TargetGroupFixture() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    try {
      app = new TestTarget("app");
      otherApp = new TestTarget("other-app");
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(e);
    }
    arn =
        aws.elbv2()
            .createTargetGroup(
                new TargetGroupConfig(
                    "web",
                    80,
                    "/healthz",
                    HEALTHY_THRESHOLD,
                    2,
                    CHECK_INTERVAL,
                    CHECK_TIMEOUT,
                    DEREGISTRATION_DELAY));
  }

  public LocalAws aws() {
    return aws;
  }

  /** SDK clients pointed at the endpoint, closed with the fixture. */
  public AwsClients clients() {
    return clients;
  }

  public String targetGroupArn() {
    return arn;
  }

  /** A running EC2 instance new to the endpoint, which may be registered in the group. */
  public String newInstance() {
    String id = Ec2Service.newInstanceId();
    aws.addInstance(id, Map.of("Name", "web"));
    return id;
  }

  /**
   * The group's health-check interval as DescribeTargetGroups reports it: in whole seconds, as AWS
   * configures it, so the 100 ms the group really checks at reads as one second.
   */
  public static Duration reportedInterval() {
    return Duration.ofSeconds(TargetGroup.ceilSeconds(CHECK_INTERVAL));
  }

  /** The port of an application whose health check passes. */
  public int port() {
    return app.port();
  }

  /** The port of a second application, whose health check passes until {@link #failChecks}. */
  public int otherPort() {
    return otherApp.port();
  }

  /** Makes the health checks of every target on {@code port} fail from now on (HTTP 500). */
  public void failChecks(int port) {
    if (port == app.port()) {
      app.healthStatus.set(500);
    } else if (port == otherApp.port()) {
      otherApp.healthStatus.set(500);
    } else {
      throw new IllegalArgumentException("no application of this fixture on port " + port);
    }
  }

  @Override
  public void close() {
    if (app != null) {
      app.close();
    }
    if (otherApp != null) {
      otherApp.close();
    }
    if (clients != null) {
      clients.close();
    }
    aws.close();
  }
}
