package dev.driftguard.sim;

import dev.driftguard.health.HealthCheck;
import dev.driftguard.host.StateStore;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.runtime.ContainerRuntime;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * One host's agent as the simulator drives it: a non-blocking tick that says when it wants the next
 * one, as the reshaped {@code ReconcileLoop.tick()} does. The scheduler calls it again at {@code
 * max(now + returned delay, the host's busy-until)}.
 */
public interface SimHost {

  /** Does one step of work; never sleeps. */
  Duration tick();

  /** Builds a host's agent from its wiring (a fresh one after an agent restart). */
  @FunctionalInterface
  interface Factory {
    SimHost create(Wiring wiring);
  }

  /**
   * What the composition root would hand a host's agent: this host's identity and clock, the
   * simulated SDK clients of the account, the simulated engine and health checks, its state store
   * (kept across agent restarts, like the state directory), and the fleet settings.
   */
  record Wiring(
      String instanceId,
      Clock clock,
      RandomGenerator random,
      SsmClient ssm,
      ElasticLoadBalancingV2Client elbv2,
      Ec2Client ec2,
      DynamoDbClient dynamodb,
      ContainerRuntime runtime,
      HealthCheck.Factory healthChecks,
      StateStore stateStore,
      List<ServiceSpec> services,
      Duration pollInterval,
      String leaseTable,
      Duration maxClockSkew,
      int expectedFleetSize,
      Duration deregistrationDelay,
      Supplier<Optional<String>> terminationNotice,
      Outcomes outcomes) {}

  /** Where an agent reports what its deploys did, for the report. */
  interface Outcomes {
    /**
     * @param outcome e.g. {@code success}, {@code rolled_back}, {@code fault}
     * @param throttled whether a throttled AWS call caused it (a failed deploy must never be)
     */
    void deploy(String outcome, boolean throttled);

    /** The rollout's one-time task started ({@code true}) or ended on this host. */
    void runOnce(boolean started, boolean succeeded);
  }

  /** The simulated machine: identity, clock skew, liveness and how long it is busy. */
  final class Node {
    final String instanceId;
    final long skewMillis;
    final Clock clock;
    final Scheduler scheduler;
    SimDocker docker;
    SimHost agent;
    StateStore state;
    boolean alive = true;
    boolean joined;
    String terminationNotice;
    boolean evacuating;
    long launchedAt;
    long convergedAt = -1;
    long busyUntil;
    long agentGeneration;
    long tickErrors;
    boolean runningOnce;

    Node(String instanceId, long skewMillis, Scheduler scheduler) {
      this.instanceId = instanceId;
      this.skewMillis = skewMillis;
      this.scheduler = scheduler;
      this.clock = scheduler.clock(skewMillis);
    }

    /** The host works for {@code millis} more before its agent can tick again. */
    void busy(long millis) {
      busyUntil = Math.max(busyUntil, scheduler.now()) + Math.max(0, millis);
    }
  }
}
