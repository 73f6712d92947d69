package dev.driftguard.traffic;

import dev.driftguard.testing.FakeTargetGroup;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fake the unit tests use keeps the same {@link TrafficGate} contract as the ELBv2 adapter; its
 * group drains at once, so its deregistration delay is zero.
 */
class TrafficGateContractOnFakeTest extends TrafficGateContract {
  private final FakeTargetGroup group = new FakeTargetGroup(change -> {});
  private final AtomicInteger hosts = new AtomicInteger();

  @Override
  protected String newHost() {
    return "i-" + hosts.incrementAndGet();
  }

  @Override
  protected TrafficGate gate(String host) {
    return group.gate(host);
  }

  @Override
  protected String targetGroupArn() {
    return "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";
  }

  @Override
  protected Duration deregistrationDelay() {
    return Duration.ZERO;
  }

  @Override
  protected int port() {
    return 18080;
  }

  @Override
  protected int otherPort() {
    return 18081;
  }
}
