package dev.driftguard.fleet;

import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import java.util.List;
import java.util.Optional;

/**
 * A host with no peers (local mode, or a service without a load balancer on a host without AWS):
 * nobody to coordinate with and nobody to tell, so every turn is granted.
 */
public final class StandaloneFleet implements FleetCoordinator {

  @Override
  public List<PeerTarget> targets(ServiceSpec service) {
    return List.of();
  }

  @Override
  public Optional<String> rolledBackBy(ServiceSpec service, Digest digest) {
    return Optional.empty();
  }

  @Override
  public java.util.Map<String, Digest> peersRunning(ServiceSpec service) {
    return java.util.Map.of();
  }

  @Override
  public void publish(ServiceSpec service, PublishedState state) {}

  @Override
  public void flush() {}
}
