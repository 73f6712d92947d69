package dev.driftguard.traffic;

import dev.driftguard.model.ServiceSpec;
import java.util.Optional;

/** For services without {@code traffic:} (workers): nothing routes to them, so nothing to flip. */
public final class NoTrafficGate implements TrafficGate {

  @Override
  public void register(ServiceSpec service, int hostPort) {}

  @Override
  public void deregister(ServiceSpec service, int hostPort) {}

  @Override
  public void awaitDrained(ServiceSpec service, int hostPort) {}

  @Override
  public Optional<String> awaitHealthy(ServiceSpec service, int hostPort) {
    return Optional.empty();
  }

  @Override
  public TargetState state(ServiceSpec service, int hostPort) {
    return TargetState.NOT_REGISTERED;
  }
}
