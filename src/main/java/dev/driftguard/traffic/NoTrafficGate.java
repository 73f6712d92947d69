package dev.driftguard.traffic;

import dev.driftguard.model.ServiceSpec;

/** For services without {@code traffic:} (workers): nothing routes to them, so nothing to flip. */
public final class NoTrafficGate implements TrafficGate {

  @Override
  public void leave(ServiceSpec service, int hostPort) {}

  @Override
  public void join(ServiceSpec service, int hostPort) {}

  @Override
  public boolean registered(ServiceSpec service, int hostPort) {
    return false;
  }
}
