package dev.driftguard.testing;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.traffic.TrafficGate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The fake the unit tests use ({@link FakeTargetGroup}): its group drains at once, so its
 * deregistration delay is zero, and calls a registered target healthy at once ({@link
 * TargetHealthCheck#IMMEDIATE}); a failing health check is the target's state set to {@code
 * unhealthy}, as unit tests set it. Its coordinators publish without an interval.
 */
public final class FakeContractTargetGroup implements ContractTargetGroup {
  private final FakeTargetGroup group = new FakeTargetGroup(change -> {});
  private final List<String> hosts = new ArrayList<>();

  @Override
  public synchronized String newHost() {
    String host = "i-" + (hosts.size() + 1);
    hosts.add(host);
    return host;
  }

  @Override
  public TrafficGate gate(String host) {
    return group.gate(host);
  }

  @Override
  public FleetCoordinator fleet(String host, Clock clock) {
    return group.fleet(host);
  }

  @Override
  public String targetGroupArn() {
    return Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST)
        .traffic()
        .targetGroupArn()
        .value();
  }

  @Override
  public Duration deregistrationDelay() {
    return Duration.ZERO;
  }

  @Override
  public TargetHealthCheck healthCheck() {
    return group.healthCheck;
  }

  @Override
  public int port() {
    return 18080;
  }

  @Override
  public int otherPort() {
    return 18081;
  }

  @Override
  public synchronized void failChecks(int port) {
    for (String host : hosts) {
      if (group.state(host, port).isPresent()) {
        group.set(host, port, "unhealthy");
      }
    }
  }

  @Override
  public Optional<PublishedState> published(String host, ServiceSpec service) {
    return group.published(host, service);
  }

  @Override
  public void close() {}
}
