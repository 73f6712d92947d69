package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.model.TargetState;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.traffic.TrafficGate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's standing in its fleet outside a deploy: it keeps a healthy container registered,
 * evacuates when the instance is going away, publishes where it stands (EC2 tags), and gives back a
 * turn lease a crashed predecessor left. The loop calls it; none of it decides a deploy.
 *
 * <p>API budget (DESIGN 4): a host in sync makes no per-pass ELBv2 or EC2 call. The registration
 * check runs once at start and then every {@code inServiceCheck} (jittered); publishing sends only
 * changes.
 */
public final class HostPresence {
  private static final Logger logger = LoggerFactory.getLogger(HostPresence.class);

  /** A registration check that failed (throttled, most often) is tried again this soon. */
  static final Duration FAILED_CHECK_RETRY = Duration.ofMinutes(1);

  private final ContainerRuntime runtime;
  private final TrafficGate traffic;
  private final FleetCoordinator fleet;
  private final TurnLease turns;
  private final StateBook states;
  private final ReconcileListener listener;
  private final Clock clock;
  private final RandomGenerator random;
  private final DeployTiming timing;
  private final String instanceId;
  private final Map<String, Instant> nextInServiceCheck = new ConcurrentHashMap<>();

  public HostPresence(
      ContainerRuntime runtime,
      TrafficGate traffic,
      FleetCoordinator fleet,
      TurnLease turns,
      StateBook states,
      ReconcileListener listener,
      Clock clock,
      RandomGenerator random,
      DeployTiming timing,
      String instanceId) {
    this.instanceId = instanceId;
    this.runtime = runtime;
    this.traffic = traffic;
    this.fleet = fleet;
    this.turns = turns;
    this.states = states;
    this.listener = listener;
    this.clock = clock;
    this.random = random;
    this.timing = timing;
  }

  /**
   * A healthy container whose target is out of the load balancer (an agent crash between
   * deregistering and registering, or a deregistration by hand) is put back in service. Checked at
   * start, then rarely; {@link #checkSoon} brings the next check forward.
   */
  public void ensureInService(ServiceSpec service, ObservedService observed) {
    if (!service.hasLoadBalancer() || observed.current() == null || !observed.current().running()) {
      return;
    }
    Instant now = clock.instant();
    Instant due = nextInServiceCheck.get(service.name());
    if (due != null && now.isBefore(due)) {
      return;
    }
    nextInServiceCheck.put(service.name(), now.plus(jittered(timing.inServiceCheck())));
    int port = StepEnv.servingPort(service, observed.current());
    TargetState state;
    try {
      state = targetState(service, port);
    } catch (RuntimeException e) {
      // Throttled at start, with the whole fleet asking: try again within minutes, not at the
      // next regular check. This read is also how the host learns its fleet's size.
      nextInServiceCheck.put(service.name(), now.plus(jittered(FAILED_CHECK_RETRY)));
      throw e;
    }
    listener.targetState(service.name(), port, state.label());
    if (!state.inService()) {
      logger.info(
          "[service={}] container is healthy but target port {} is {}: registering it",
          service.name(),
          port,
          state.label());
      traffic.register(service.traffic(), port);
      // Look again shortly: the registration must turn into a healthy target.
      checkSoon(service, timing.unhealthyGrace());
    }
  }

  /**
   * This host's target state, from one read of the whole group where the fleet can read it, which
   * also tells how many hosts share the desired-state budget ({@link FleetSizeWatch}).
   */
  private TargetState targetState(ServiceSpec service, int port) {
    java.util.List<FleetCoordinator.PeerTarget> all = fleet.targets(service);
    if (all.isEmpty()) {
      return traffic.state(service.traffic(), port);
    }
    return FleetCoordinator.PeerTarget.stateOf(all, instanceId, port);
  }

  /** The next registration check of {@code service} runs after {@code delay}. */
  void checkSoon(ServiceSpec service, Duration delay) {
    nextInServiceCheck.put(service.name(), clock.instant().plus(delay));
  }

  /**
   * Leaves service for good because the instance is going away (spot or Auto Scaling): every target
   * of the service's containers is deregistered; ELBv2 drains them while the instance shuts down.
   */
  public void evacuate(ServiceSpec service) {
    if (!service.hasLoadBalancer()) {
      return;
    }
    for (String name : new String[] {service.containerName(), service.nextContainerName()}) {
      java.util.Optional<ContainerInfo> c = runtime.inspect(name);
      if (c.isPresent() || name.equals(service.containerName())) {
        int port = StepEnv.servingPort(service, c.orElse(null));
        logger.warn(
            "[service={}] instance is terminating: deregistering port {}", service.name(), port);
        traffic.deregister(service.traffic(), port);
      }
    }
  }

  /** Tells peers (and rollout-status) where this host stands; never fails a deploy. */
  public void publish(ServiceSpec service) {
    publish(service, runtime.inspect(service.containerName()).orElse(null));
  }

  /** As {@link #publish(ServiceSpec)}, with the service's container as just observed (or null). */
  public void publish(ServiceSpec service, ContainerInfo current) {
    ServiceState s = states.get(service.name());
    Digest running = current == null ? null : current.digest().orElse(null);
    fleet.publish(
        service,
        new FleetCoordinator.PublishedState(
            running,
            s.phase().label(),
            s.lastOutcome() == null ? "" : s.lastOutcome().label(),
            s.failed(),
            clock.instant().toString()));
  }

  /** Sends published state held back by the API budget (once per poll). */
  public void flush() {
    fleet.flush();
  }

  /**
   * Releases a turn lease a crashed predecessor of this agent may have left.
   *
   * @return whether there was one
   */
  public boolean releaseStaleLease(ServiceSpec service) {
    List<TurnLease.Lease> stale =
        turns.holders(StepEnv.pool(service)).stream()
            .filter(l -> l.owner().equals(instanceId))
            .toList();
    stale.forEach(turns::release);
    if (!stale.isEmpty()) {
      // A peer's call may carry an intent the lease held: look at the target again after it.
      checkSoon(service, TargetCalls.SWITCH_GUARD);
    }
    return !stale.isEmpty();
  }

  private Duration jittered(Duration base) {
    return Duration.ofMillis((long) (base.toMillis() * (0.75 + 0.5 * random.nextDouble())));
  }
}
