package dev.driftguard.testing;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link FleetCoordinator} that hands every call to another one: a test overrides the calls it
 * wants to fail, delay or watch, and the fleet underneath answers the rest.
 */
public class ForwardingFleetCoordinator implements FleetCoordinator {
  private final FleetCoordinator fleet;

  public ForwardingFleetCoordinator(FleetCoordinator fleet) {
    this.fleet = fleet;
  }

  @Override
  public List<PeerTarget> targets(ServiceSpec service) {
    return fleet.targets(service);
  }

  @Override
  public Optional<String> rolledBackBy(ServiceSpec service, Digest digest) {
    return fleet.rolledBackBy(service, digest);
  }

  @Override
  public Map<String, Digest> peersRunning(ServiceSpec service) {
    return fleet.peersRunning(service);
  }

  @Override
  public void publish(ServiceSpec service, PublishedState state) {
    fleet.publish(service, state);
  }

  @Override
  public void flush() {
    fleet.flush();
  }
}
