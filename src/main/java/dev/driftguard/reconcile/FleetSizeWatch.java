package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fleet coordinator as the loop uses it, learning the size of each target group from every read
 * of the whole group: the gate's, the deregistration's re-check and the registration check alike.
 * The size is what spreads the desired-state poll over the account's Parameter Store budget ({@link
 * ReconcileLoop#budgeted}); learned from the in-service check alone, most hosts of a 2,000-host
 * fleet never knew it (that check runs rarely, and at start the account's 40-token ELBv2 Describe
 * bucket refuses most of them), polled as a fleet of one and kept SSM throttled. The same size
 * stretches the delegate's published-state interval ({@link FleetCoordinator#fleetSize}).
 */
final class FleetSizeWatch implements FleetCoordinator {
  private final FleetCoordinator delegate;
  private final Map<String, Integer> groupSizes = new ConcurrentHashMap<>();
  private final int assumed;
  private final AtomicLong readsTried = new AtomicLong();

  /**
   * @param assumed the size assumed before any group was read, and for workers ({@link
   *     ReconcileLoop.Builder#expectedHosts})
   */
  FleetSizeWatch(FleetCoordinator delegate, int assumed) {
    this.delegate = delegate;
    this.assumed = assumed;
    delegate.fleetSize(assumed);
  }

  @Override
  public List<PeerTarget> targets(ServiceSpec service) {
    if (!service.hasLoadBalancer()) {
      return delegate.targets(service); // a worker: nothing to read, and no size to learn
    }
    readsTried.incrementAndGet();
    List<PeerTarget> all = delegate.targets(service);
    learn(service, all);
    return all;
  }

  /** Learns the size of the service's group from {@code all} its targets, read by anyone. */
  void learn(ServiceSpec service, List<PeerTarget> all) {
    // An empty group is one this host is about to join: a fleet of one so far.
    groupSizes.put(
        service.name(),
        (int) Math.max(1, all.stream().map(PeerTarget::instanceId).distinct().count()));
    delegate.fleetSize(budgetSize());
  }

  /** Reads of a whole group tried so far, answered or not. */
  long readsTried() {
    return readsTried.get();
  }

  /** Whether any target group has been read. */
  boolean anyGroupRead() {
    return !groupSizes.isEmpty();
  }

  /**
   * The hosts that share the account's desired-state budget: the largest target group read so far,
   * or the assumed size before any read answered.
   */
  int budgetSize() {
    return groupSizes.values().stream().mapToInt(Integer::intValue).max().orElse(assumed);
  }

  /**
   * The size of the service's target group as last read, or else as assumed ({@link #budgetSize}):
   * it numbers the turn slots, which the read after winning one checks anyway.
   */
  int assumedSize(ServiceSpec service) {
    Integer size = groupSizes.get(service.name());
    return size != null ? size : budgetSize();
  }

  @Override
  public Optional<String> rolledBackBy(ServiceSpec service, Digest digest) {
    return delegate.rolledBackBy(service, digest);
  }

  @Override
  public Map<String, Digest> peersRunning(ServiceSpec service) {
    return delegate.peersRunning(service);
  }

  @Override
  public void publish(ServiceSpec service, PublishedState state) {
    delegate.publish(service, state);
  }

  @Override
  public void flush() {
    delegate.flush();
  }
}
