package dev.driftguard.testing;

import dev.driftguard.fleet.AwsFleetCoordinator;
import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.fleet.PublishedStateTags;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.testing.aws.TargetGroupFixture;
import dev.driftguard.traffic.Elbv2TrafficGate;
import dev.driftguard.traffic.TrafficGate;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The AWS adapters through the real SDK clients against a local target group ({@link
 * TargetGroupFixture}); coordinators publish at the production interval, and published state is
 * read back from the instance's EC2 tags with {@link PublishedStateTags}, as {@code rollout-status}
 * reads it.
 */
public final class LocalAwsContractTargetGroup implements ContractTargetGroup {
  private final TargetGroupFixture group = new TargetGroupFixture();

  @Override
  public String newHost() {
    return group.newInstance();
  }

  @Override
  public TrafficGate gate(String host) {
    return new Elbv2TrafficGate(group.clients().elbv2(), host, AwsCallListener.NONE);
  }

  @Override
  public FleetCoordinator fleet(String host, Clock clock) {
    return new AwsFleetCoordinator(
        group.clients().elbv2(),
        group.clients()::ec2,
        host,
        AwsCallListener.NONE,
        clock,
        AwsFleetCoordinator.DEFAULT_PUBLISH_INTERVAL);
  }

  @Override
  public String targetGroupArn() {
    return group.targetGroupArn();
  }

  @Override
  public Duration deregistrationDelay() {
    return TargetGroupFixture.DEREGISTRATION_DELAY;
  }

  @Override
  public TargetHealthCheck healthCheck() {
    return new TargetHealthCheck(
        TargetGroupFixture.reportedInterval(), TargetGroupFixture.HEALTHY_THRESHOLD);
  }

  @Override
  public int port() {
    return group.port();
  }

  @Override
  public int otherPort() {
    return group.otherPort();
  }

  @Override
  public void failChecks(int port) {
    group.failChecks(port);
  }

  @Override
  public Optional<PublishedState> published(String host, ServiceSpec service) {
    return PublishedStateTags.fromTags(service.name(), group.aws().ec2().tags(host));
  }

  @Override
  public void close() {
    group.close();
  }
}
