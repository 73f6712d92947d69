package dev.driftguard.traffic;

import dev.driftguard.model.AwsCallListener;
import dev.driftguard.testing.aws.TargetGroupFixture;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** The ELBv2 adapter keeps the {@link TrafficGate} contract through the real SDK client. */
class TrafficGateContractOnLocalAwsTest extends TrafficGateContract {
  private final TargetGroupFixture group = new TargetGroupFixture();

  @AfterEach
  void stop() {
    group.close();
  }

  @Override
  protected String newHost() {
    return group.newInstance();
  }

  @Override
  protected TrafficGate gate(String host) {
    return new Elbv2TrafficGate(group.clients().elbv2(), host, AwsCallListener.NONE);
  }

  @Override
  protected String targetGroupArn() {
    return group.targetGroupArn();
  }

  @Override
  protected Duration deregistrationDelay() {
    return TargetGroupFixture.DEREGISTRATION_DELAY;
  }

  @Override
  protected int port() {
    return group.port();
  }

  @Override
  protected int otherPort() {
    return group.otherPort();
  }
}
