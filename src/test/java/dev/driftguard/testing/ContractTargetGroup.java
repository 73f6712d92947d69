package dev.driftguard.testing;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.traffic.TrafficGate;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One target group and the hosts around it, as one implementation of the traffic and fleet ports
 * sees them: what the {@code TrafficGateContract} and {@code FleetCoordinatorContract} suites run
 * on. Implemented by the AWS adapters over LocalAws ({@link LocalAwsContractTargetGroup}) and by
 * the fake the unit tests use ({@link FakeContractTargetGroup}).
 */
public interface ContractTargetGroup extends AutoCloseable {

  /** A host new to the group that may register targets in it and publish (an EC2 instance). */
  String newHost();

  /** {@code host}'s gate to the group. */
  TrafficGate gate(String host);

  /**
   * A new coordinator of {@code host} on {@code clock}; one per host holds its publishing state.
   */
  FleetCoordinator fleet(String host, Clock clock);

  /** The group's ARN, for the specs of the test. */
  String targetGroupArn();

  /** How long the group lets a deregistered target drain (its deregistration delay). */
  Duration deregistrationDelay();

  /** How the group says it checks its targets (DescribeTargetGroups' interval and threshold). */
  TargetHealthCheck healthCheck();

  /** A host port whose health check passes. */
  int port();

  /** A second host port whose health check passes until {@link #failChecks}. */
  int otherPort();

  /** Makes the group's health checks of every target registered on {@code port} fail. */
  void failChecks(int port);

  /**
   * What {@code host} publishes for {@code service}, read where peers read it; empty if nothing.
   */
  Optional<PublishedState> published(String host, ServiceSpec service);

  @Override
  void close();
}
