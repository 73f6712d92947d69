package dev.driftguard.reconcile;

import dev.driftguard.desired.SecretSource;
import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.Digest;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.DriftguardException;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.registry.RegistryAuth;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.runtime.RegistryUnauthorizedException;
import dev.driftguard.traffic.TrafficGate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deploy state machine of one host (DESIGN 3). Each phase is saved before it starts and
 * each step is idempotent, so {@link #resume} can pick up after a crash anywhere: it completes a
 * deploy whose new container is in place, and otherwise rolls back or starts over.
 *
 * <p><b>stop-first</b>: PULL, GATE, DEREGISTER, STOP, START, HEALTH, REGISTER, COMMIT. The old
 * container is never removed during a deploy: it is stopped and renamed {@code
 * <service>-previous}, which is what a rollback restores. The host leaves the load balancer only
 * after the image is pulled, and only when the fleet's capacity floor allows it.
 *
 * <p><b>start-first</b>: PULL, START, HEALTH, REGISTER (the new container as {@code
 * <service>-next} on the other host port), then DEREGISTER and STOP of the old one. Capacity
 * never dips, so there is no GATE.
 */
public final class Deployer {
  private static final Logger logger = LoggerFactory.getLogger(Deployer.class);

  private final ContainerRuntime runtime;
  private final RegistryAuth registryAuth;
  private final SecretSource secrets;
  private final java.util.function.Function<ServiceSpec, TrafficGate> traffic;
  private final FleetCoordinator fleet;
  private final String instanceId;
  private final HealthWaiter health;
  private final StateBook states;
  private final ReconcileListener listener;
  private final Clock clock;
  private final Sleeper sleeper;
  private final RandomGenerator random;
  private final DeployTiming timing;
  private final Set<String> claimsHeld = ConcurrentHashMap.newKeySet();

  /**
   * @param traffic the gate of each service (a no-op one for services without {@code traffic:})
   * @param instanceId this host, as the fleet knows it (ties between claims go to the lowest)
   */
  public Deployer(
      ContainerRuntime runtime,
      RegistryAuth registryAuth,
      SecretSource secrets,
      java.util.function.Function<ServiceSpec, TrafficGate> traffic,
      FleetCoordinator fleet,
      String instanceId,
      HealthCheck.Factory healthChecks,
      StateBook states,
      ReconcileListener listener,
      Clock clock,
      Sleeper sleeper,
      RandomGenerator random,
      DeployTiming timing) {
    this.runtime = runtime;
    this.registryAuth = registryAuth;
    this.secrets = secrets;
    this.traffic = traffic;
    this.fleet = fleet;
    this.instanceId = instanceId;
    this.health = new HealthWaiter(runtime, healthChecks, clock, sleeper);
    this.states = states;
    this.listener = listener;
    this.clock = clock;
    this.sleeper = sleeper;
    this.random = random;
    this.timing = timing;
  }

  /** Replaces (or creates) the service's container with one from {@code image}. */
  public DeployOutcome deploy(ServiceSpec service, ImageRef image, Set<DriftReason> reasons)
      throws InterruptedException {
    reasons.forEach(r -> listener.driftDetected(service.name(), r));
    Instant started = clock.instant();
    Optional<DeployOutcome> refused =
        refuseIfPeerRolledBack(service, image, started, "; pin another digest to deploy again");
    if (refused.isPresent()) {
      return refused.get();
    }
    logger.info("{} drift detected {}, deploying ({})", context(service, image, Phase.PULL), reasons, strategyOf(service).name().toLowerCase());
    Optional<ContainerInfo> current = runtime.inspect(service.containerName());
    if (strategyOf(service) == RolloutSpec.Strategy.START_FIRST && current.isPresent() && current.get().running()) {
      return startFirst(Phase.PULL, service, image, started);
    }
    return stopFirst(Phase.PULL, service, image, started);
  }

  /** Starts the service's existing (exited) container again and puts it back in service. */
  public void restart(ServiceSpec service, Set<DriftReason> reasons) throws InterruptedException {
    reasons.forEach(r -> listener.driftDetected(service.name(), r));
    String name = service.containerName();
    logger.info("[service={}, phase=restart] container {} is not running, starting it again", service.name(), name);
    runtime.start(name);
    Optional<String> unhealthy = health.await(name, service.containerAsPublished(runtime.inspect(name).orElse(null)), service.health());
    if (unhealthy.isPresent()) {
      logger.warn("[service={}, phase=restart] restart did not become healthy: {}", service.name(), unhealthy.get());
      states.put(states.get(service.name()).withError("restart failed: " + unhealthy.get()));
      return;
    }
    join(service, servingPort(service, runtime.inspect(name)));
    logger.info("[service={}, phase=restart] container {} is healthy again", service.name(), name);
  }

  /** Completes or rolls back a deploy that an agent crash or restart interrupted. */
  public DeployOutcome resume(ServiceSpec service, ObservedService observed) throws InterruptedException {
    ServiceState state = observed.state();
    ImageRef target = state.target();
    Phase phase = state.phase();
    logger.info("{} resuming an interrupted deploy", context(service, target, phase));
    Instant started = clock.instant();
    if (target == null || phase == Phase.PULL || phase == Phase.GATE) {
      // Nothing on the host changed yet: forget the attempt, the next pass decides afresh.
      abandon(service);
      return DeployOutcome.FAILED;
    }
    if (observed.next() != null || (strategyOf(service) == RolloutSpec.Strategy.START_FIRST && phase != Phase.ROLLBACK
        && !isTarget(observed.current(), target))) {
      return resumeStartFirst(service, observed, target, started);
    }
    boolean currentIsTarget = isTarget(observed.current(), target);
    switch (phase) {
      case DEREGISTER, STOP, START, HEALTH, REGISTER:
        if (currentIsTarget) {
          return stopFirst(Phase.HEALTH, service, target, started);
        }
        if (observed.current() == null) {
          return stopFirst(Phase.START, service, target, started);
        }
        // The old container still serves under its own name: put it back and start over.
        runtime.start(service.containerName());
        join(service, servingPort(service, Optional.of(observed.current())));
        abandon(service);
        return DeployOutcome.FAILED;
      case COMMIT:
        return stopFirst(Phase.COMMIT, service, target, started);
      case ROLLBACK:
        return rollback(service, target, "interrupted during rollback", started);
      default:
        abandon(service);
        return DeployOutcome.FAILED;
    }
  }

  // ---------------------------------------------------------------------------------- stop-first

  private DeployOutcome stopFirst(Phase from, ServiceSpec service, ImageRef image, Instant started)
      throws InterruptedException {
    String name = service.containerName();
    // The port the serving container is registered on now; the new one joins on its own port.
    int port = servingPort(service, runtime.inspect(name));
    RunSpec spec;
    Instant outOfServiceSince = null;

    if (from.compareTo(Phase.STOP) <= 0) {
      boolean left = false;
      try {
        enter(service, Phase.PULL, image);
        Instant pullStart = clock.instant();
        pull(image);
        listener.imagePulled(service.name(), Duration.between(pullStart, clock.instant()));
        spec = render(service, image);
        finishPhase(service, Phase.PULL, pullStart);

        if (service.trafficSpec().isPresent() && runtime.inspect(name).map(ContainerInfo::running).orElse(false)) {
          Optional<DeployOutcome> noTurn = takeTurn(service, image, started, "no capacity to leave service");
          if (noTurn.isPresent()) {
            return noTurn.get();
          }
        }

        enter(service, Phase.DEREGISTER, image);
        Instant drainStart = clock.instant();
        left = true;
        leave(service, port);
        outOfServiceSince = drainStart;
        finishPhase(service, Phase.DEREGISTER, drainStart);
      } catch (RuntimeException e) {
        if (left) {
          join(service, port);
        }
        return finish(service, image, DeployOutcome.FAILED, started,
            "deploy of " + image.digest().shortForm() + " failed before the running container was touched: " + e.getMessage());
      }
      try {
        enter(service, Phase.STOP, image);
        Instant stopStart = clock.instant();
        retire(service);
        finishPhase(service, Phase.STOP, stopStart);
      } catch (RuntimeException e) {
        return rollback(service, image, "stopping the old container failed: " + e.getMessage(), started);
      }
    } else {
      pull(image);
      spec = render(service, image);
    }

    try {
      if (from.compareTo(Phase.START) <= 0) {
        enter(service, Phase.START, image);
        Instant startStart = clock.instant();
        if (runtime.inspect(name).isEmpty()) {
          runtime.create(name, spec);
        }
        runtime.start(name);
        finishPhase(service, Phase.START, startStart);
      }
      if (from.compareTo(Phase.HEALTH) <= 0) {
        enter(service, Phase.HEALTH, image);
        Instant healthStart = clock.instant();
        runtime.start(name);
        Optional<String> unhealthy = health.await(name, spec.container(), service.health());
        finishPhase(service, Phase.HEALTH, healthStart);
        if (unhealthy.isPresent()) {
          return rollback(service, image, unhealthy.get(), started);
        }
      }
      if (from.compareTo(Phase.REGISTER) <= 0) {
        enter(service, Phase.REGISTER, image);
        Instant registerStart = clock.instant();
        join(service, servingPort(service, runtime.inspect(name)));
        finishPhase(service, Phase.REGISTER, registerStart);
        if (outOfServiceSince != null) {
          listener.outOfService(service.name(), Duration.between(outOfServiceSince, clock.instant()));
        }
      }
    } catch (RuntimeException e) {
      return rollback(service, image, e.getMessage(), started);
    }
    return commit(service, image, started);
  }

  /**
   * GATE: waits for this host's turn, then checks the circuit breaker again, since a peer may
   * have rolled the digest back meanwhile.
   *
   * @return empty to go on; otherwise the finished (failed) deploy
   */
  private Optional<DeployOutcome> takeTurn(ServiceSpec service, ImageRef image, Instant started, String noTurn)
      throws InterruptedException {
    enter(service, Phase.GATE, image);
    Instant gateStart = clock.instant();
    if (!awaitTurn(service)) {
      return Optional.of(finish(service, image, DeployOutcome.FAILED, started,
          noTurn + " within " + timing.gateTimeout().toMinutes() + " min; will try again"));
    }
    finishPhase(service, Phase.GATE, gateStart);
    return refuseIfPeerRolledBack(service, image, started, " while this host waited for its turn");
  }

  /**
   * The circuit breaker: a digest that rolled back on a peer reaches no further host.
   *
   * @return empty when no peer rolled it back; otherwise the finished (failed) deploy
   */
  private Optional<DeployOutcome> refuseIfPeerRolledBack(
      ServiceSpec service, ImageRef image, Instant started, String when) {
    Optional<String> peer = fleet.rolledBackBy(service, image.digest());
    if (peer.isEmpty()) {
      return Optional.empty();
    }
    states.put(states.get(service.name()).withFailed(image.digest()));
    return Optional.of(finish(service, image, DeployOutcome.FAILED, started,
        "refused: digest " + image.digest().shortForm() + " was rolled back on " + peer.get() + when));
  }

  /**
   * Waits for this host's turn to leave service: the capacity floor must allow it, and it must
   * still allow it after this host's claim had time to become visible to peers deciding at the
   * same moment (docs/design/capacity-floor.md).
   *
   * @return false when no turn came within the gate timeout
   */
  private boolean awaitTurn(ServiceSpec service) throws InterruptedException {
    Instant giveUp = clock.instant().plus(timing.gateTimeout());
    String lastWhy = null;
    while (true) {
      CapacityFloor.Verdict verdict = verdict(service, clock.instant());
      Instant claimedAt = clock.instant();
      if (verdict.mayLeave() && fleet.claim(service, true)) {
        claimsHeld.add(service.name());
        sleeper.sleep(timing.claimSettle());
        verdict = verdict(service, claimedAt);
        if (verdict.mayLeave()) {
          logger.info("[service={}, phase=GATE] leaving service: {}", service.name(), verdict.why());
          return true;
        }
        release(service);
      }
      if (!verdict.why().equals(lastWhy)) {
        logger.info("[service={}, phase=GATE] {}", service.name(), verdict.why());
        lastWhy = verdict.why();
      }
      if (!clock.instant().isBefore(giveUp)) {
        return false;
      }
      sleeper.sleep(jittered(timing.gatePoll()));
    }
  }

  private CapacityFloor.Verdict verdict(ServiceSpec service, Instant myClaim) {
    return CapacityFloor.decide(
        instanceId, myClaim, fleet.targets(service), fleet.claims(service, timing.claimMaxAge()),
        timing.claimSettle(), service.rollout());
  }

  /**
   * Stops the serving container and keeps it as {@code <service>-previous} for a rollback. A
   * previous container left by an earlier, committed deploy is removed first; when no container
   * serves, an existing previous one is kept, as it is then the only thing to restore.
   */
  private void retire(ServiceSpec service) {
    String name = service.containerName();
    String previous = service.previousContainerName();
    if (runtime.inspect(name).isEmpty()) {
      return;
    }
    runtime.remove(previous);
    runtime.stop(name, service.container().stopSignal(), service.container().stopTimeout());
    runtime.rename(name, previous);
  }

  private DeployOutcome rollback(ServiceSpec service, ImageRef image, String cause, Instant started)
      throws InterruptedException {
    states.put(states.get(service.name()).withFailed(image.digest()));
    if (!service.rollout().rollback()) {
      logger.warn("{} deploy failed and rollback is off: {}", context(service, image, Phase.ROLLBACK), cause);
      return finish(service, image, DeployOutcome.FAILED, started, cause);
    }
    enter(service, Phase.ROLLBACK, image);
    logger.warn("{} rolling back: {}", context(service, image, Phase.ROLLBACK), cause);
    Instant rollbackStart = clock.instant();
    String name = service.containerName();
    String previous = service.previousContainerName();
    TrafficGate gate = gateFor(service);
    try {
      Optional<ContainerInfo> current = runtime.inspect(name);
      int port = servingPort(service, current);
      gate.deregister(service, port);
      Optional<ContainerInfo> kept = runtime.inspect(previous);
      if (current.isPresent() && (kept.isPresent() || isTarget(current.get(), image))) {
        runtime.remove(name);
      }
      if (runtime.inspect(name).isEmpty()) {
        if (kept.isEmpty()) {
          finishPhase(service, Phase.ROLLBACK, rollbackStart);
          return finish(service, image, DeployOutcome.FAILED, started, cause + "; no previous container to roll back to");
        }
        runtime.rename(previous, name);
      }
      runtime.start(name);
      Optional<ContainerInfo> restored = runtime.inspect(name);
      Optional<String> unhealthy = health.await(name, service.containerAsPublished(restored.orElse(null)), service.health());
      if (unhealthy.isPresent()) {
        finishPhase(service, Phase.ROLLBACK, rollbackStart);
        return finish(service, image, DeployOutcome.FAILED, started,
            cause + "; the restored container is not healthy either: " + unhealthy.get());
      }
      join(service, servingPort(service, restored));
    } catch (RuntimeException e) {
      finishPhase(service, Phase.ROLLBACK, rollbackStart);
      return finish(service, image, DeployOutcome.FAILED, started, cause + "; rollback failed: " + e.getMessage());
    }
    finishPhase(service, Phase.ROLLBACK, rollbackStart);
    return finish(service, image, DeployOutcome.ROLLED_BACK, started, cause);
  }

  // --------------------------------------------------------------------------------- start-first

  private DeployOutcome startFirst(Phase from, ServiceSpec service, ImageRef image, Instant started)
      throws InterruptedException {
    String name = service.containerName();
    String next = service.nextContainerName();
    int oldPort = servingPort(service, runtime.inspect(name));
    int newPort = otherPort(service, oldPort);
    TrafficGate gate = gateFor(service);
    RunSpec spec;
    try {
      enter(service, Phase.PULL, image);
      Instant pullStart = clock.instant();
      pull(image);
      listener.imagePulled(service.name(), Duration.between(pullStart, clock.instant()));
      spec = onPort(render(service, image), newPort);
      finishPhase(service, Phase.PULL, pullStart);
      // Capacity never dips here, but a bad digest must still reach at most maxUnavailable
      // hosts: start-first takes the same turns as stop-first.
      Optional<DeployOutcome> noTurn = takeTurn(service, image, started, "no turn to deploy");
      if (noTurn.isPresent()) {
        return noTurn.get();
      }
    } catch (RuntimeException e) {
      return finish(service, image, DeployOutcome.FAILED, started,
          "deploy of " + image.digest().shortForm() + " failed before anything changed: " + e.getMessage());
    }
    try {
      if (from.compareTo(Phase.START) <= 0) {
        enter(service, Phase.START, image);
        Instant startStart = clock.instant();
        runtime.remove(next);
        runtime.create(next, spec);
        runtime.start(next);
        finishPhase(service, Phase.START, startStart);
      }
      enter(service, Phase.HEALTH, image);
      Instant healthStart = clock.instant();
      Optional<String> unhealthy = health.await(next, spec.container(), service.health());
      finishPhase(service, Phase.HEALTH, healthStart);
      if (unhealthy.isPresent()) {
        return rollbackStartFirst(service, image, newPort, oldPort, unhealthy.get(), started);
      }
      enter(service, Phase.REGISTER, image);
      Instant registerStart = clock.instant();
      join(service, newPort);
      finishPhase(service, Phase.REGISTER, registerStart);
    } catch (RuntimeException e) {
      return rollbackStartFirst(service, image, newPort, oldPort, e.getMessage(), started);
    }
    return retireOld(service, image, oldPort, started, gate);
  }

  /** The new container serves on its port: drain the old one, stop it, and swap the names. */
  private DeployOutcome retireOld(ServiceSpec service, ImageRef image, int oldPort, Instant started, TrafficGate gate)
      throws InterruptedException {
    enter(service, Phase.DEREGISTER, image);
    Instant drainStart = clock.instant();
    gate.deregister(service, oldPort);
    report(service, oldPort, gate);
    gate.awaitDrained(service, oldPort);
    finishPhase(service, Phase.DEREGISTER, drainStart);
    enter(service, Phase.STOP, image);
    Instant stopStart = clock.instant();
    String name = service.containerName();
    if (runtime.inspect(service.nextContainerName()).isPresent()) {
      runtime.remove(service.previousContainerName());
      if (runtime.inspect(name).isPresent()) {
        runtime.stop(name, service.container().stopSignal(), service.container().stopTimeout());
        runtime.rename(name, service.previousContainerName());
      }
      runtime.rename(service.nextContainerName(), name);
    }
    finishPhase(service, Phase.STOP, stopStart);
    return commit(service, image, started);
  }

  private DeployOutcome rollbackStartFirst(
      ServiceSpec service, ImageRef image, int newPort, int oldPort, String cause, Instant started)
      throws InterruptedException {
    states.put(states.get(service.name()).withFailed(image.digest()));
    enter(service, Phase.ROLLBACK, image);
    logger.warn("{} rolling back: {}", context(service, image, Phase.ROLLBACK), cause);
    Instant rollbackStart = clock.instant();
    TrafficGate gate = gateFor(service);
    try {
      gate.deregister(service, newPort);
      gate.awaitDrained(service, newPort);
      if (service.rollout().rollback()) {
        runtime.remove(service.nextContainerName());
      } else {
        runtime.stop(service.nextContainerName(), service.container().stopSignal(), service.container().stopTimeout());
      }
      // The old container never stopped serving; make sure its target is in service.
      join(service, oldPort);
    } catch (RuntimeException e) {
      finishPhase(service, Phase.ROLLBACK, rollbackStart);
      return finish(service, image, DeployOutcome.FAILED, started, cause + "; rollback failed: " + e.getMessage());
    }
    finishPhase(service, Phase.ROLLBACK, rollbackStart);
    return finish(service, image,
        service.rollout().rollback() ? DeployOutcome.ROLLED_BACK : DeployOutcome.FAILED, started, cause);
  }

  private DeployOutcome resumeStartFirst(ServiceSpec service, ObservedService observed, ImageRef target, Instant started)
      throws InterruptedException {
    Optional<ContainerInfo> current = Optional.ofNullable(observed.current());
    Optional<ContainerInfo> next = Optional.ofNullable(observed.next());
    int oldPort = servingPort(service, current);
    int newPort = next.flatMap(ContainerInfo::hostPort).orElse(otherPort(service, oldPort));
    Phase phase = observed.state().phase();
    if (phase == Phase.DEREGISTER || phase == Phase.STOP) {
      // The new container was healthy and registered: finish retiring the old one.
      return retireOld(service, target, oldPort, started, gateFor(service));
    }
    if (phase == Phase.COMMIT) {
      return commit(service, target, started);
    }
    if (phase == Phase.ROLLBACK) {
      return rollbackStartFirst(service, target, newPort, oldPort, "interrupted during rollback", started);
    }
    // Interrupted before the new container was proven: take it away and start over next pass.
    gateFor(service).deregister(service, newPort);
    runtime.remove(service.nextContainerName());
    join(service, oldPort);
    abandon(service);
    return DeployOutcome.FAILED;
  }

  // ------------------------------------------------------------------------------------ shared

  private DeployOutcome commit(ServiceSpec service, ImageRef image, Instant started) {
    enter(service, Phase.COMMIT, image);
    states.put(states.get(service.name()).withLastKnownGood(image).withFailed(null));
    return finish(service, image, DeployOutcome.SUCCESS, started, null);
  }

  private void pull(ImageRef image) {
    RegistryCredential credential = registryAuth.credentialFor(image.registry()).orElse(null);
    try {
      runtime.pull(image, credential);
    } catch (RegistryUnauthorizedException e) {
      // A cached token may have been revoked or expired early: fetch a fresh one, once.
      registryAuth.invalidate(image.registry());
      runtime.pull(image, registryAuth.credentialFor(image.registry()).orElse(null));
    }
  }

  private RunSpec render(ServiceSpec service, ImageRef image) {
    Map<String, String> byParameter = service.container().envFromSsm().isEmpty()
        ? Map.of()
        : secrets.resolve(service.container().envFromSsm().values());
    Map<String, String> env = new TreeMap<>();
    service.container().envFromSsm().forEach((var, parameter) -> env.put(var, byParameter.get(parameter)));
    return RunSpec.render(service, image, env);
  }

  /** The spec with its (single, as config enforces for start-first) port moved to {@code hostPort}. */
  private static RunSpec onPort(RunSpec spec, int hostPort) {
    List<PortBinding> ports = spec.container().ports().stream()
        .map(p -> new PortBinding(p.hostIp(), hostPort, p.containerPort(), p.protocol()))
        .toList();
    return spec.withPorts(ports);
  }

  /** Takes this host's target out of service and waits until it has drained. */
  private void leave(ServiceSpec service, int port) throws InterruptedException {
    TrafficGate gate = gateFor(service);
    gate.deregister(service, port);
    report(service, port, gate);
    gate.awaitDrained(service, port);
  }

  /** Puts this host's target in service; fails when the load balancer does not call it healthy. */
  private void join(ServiceSpec service, int port) throws InterruptedException {
    TrafficGate gate = gateFor(service);
    gate.register(service, port);
    Optional<String> unhealthy = gate.awaitHealthy(service, port);
    report(service, port, gate);
    if (unhealthy.isPresent()) {
      throw new DriftguardException("target " + instanceId + ":" + port + " not healthy in the target group: " + unhealthy.get());
    }
  }

  /**
   * A healthy container whose target is out of the load balancer (an agent crash between
   * deregistering and registering, or a deregistration by hand) is put back in service.
   */
  public void ensureInService(ServiceSpec service, ObservedService observed) throws InterruptedException {
    if (service.trafficSpec().isEmpty() || observed.current() == null || !observed.current().running()) {
      return;
    }
    int port = servingPort(service, Optional.of(observed.current()));
    TrafficGate.TargetState state = gateFor(service).state(service, port);
    listener.targetState(service.name(), port, state.label());
    if (!state.inService()) {
      logger.info("[service={}] container is healthy but target port {} is {}: registering it", service.name(), port, state.label());
      join(service, port);
    }
  }

  /** Leaves service for good because the instance is going away (spot or Auto Scaling). */
  public void evacuate(ServiceSpec service) throws InterruptedException {
    if (service.trafficSpec().isEmpty()) {
      return;
    }
    int port = servingPort(service, runtime.inspect(service.containerName()));
    logger.warn("[service={}] instance is terminating: deregistering port {} and draining", service.name(), port);
    leave(service, port);
  }

  private void report(ServiceSpec service, int port, TrafficGate gate) {
    if (service.trafficSpec().isPresent()) {
      listener.targetState(service.name(), port, gate.state(service, port).label());
    }
  }

  private TrafficGate gateFor(ServiceSpec service) {
    return traffic.apply(service);
  }

  private void enter(ServiceSpec service, Phase phase, ImageRef image) {
    states.put(states.get(service.name()).inPhase(phase, image, clock.instant()));
    logger.info("{} entering phase", context(service, image, phase));
    publish(service);
  }

  private void finishPhase(ServiceSpec service, Phase phase, Instant since) {
    listener.phaseFinished(service.name(), phase, Duration.between(since, clock.instant()));
  }

  /** Drops an interrupted attempt without an outcome; the next pass decides afresh. */
  private void abandon(ServiceSpec service) {
    ServiceState s = states.get(service.name());
    states.put(s.inPhase(Phase.IDLE, null, clock.instant()));
    release(service);
    publish(service);
  }

  private DeployOutcome finish(ServiceSpec service, ImageRef image, DeployOutcome outcome, Instant started, String error) {
    Instant now = clock.instant();
    Duration took = Duration.between(started, now);
    ServiceState s = states.get(service.name());
    states.put(s.finished(outcome, now, took, error));
    release(service);
    publish(service);
    listener.deployFinished(service.name(), outcome, took);
    String ctx = context(service, image, Phase.IDLE);
    if (outcome == DeployOutcome.SUCCESS) {
      logger.info("{} deploy succeeded in {}s", ctx, took.toSeconds());
    } else {
      logger.warn("{} deploy {} after {}s: {}", ctx, outcome.label(), took.toSeconds(), error);
    }
    return outcome;
  }

  private void release(ServiceSpec service) {
    if (claimsHeld.remove(service.name())) {
      fleet.claim(service, false);
    }
  }

  /** Tells peers (and rollout-status) where this host stands; never fails a deploy. */
  void publish(ServiceSpec service) {
    ServiceState s = states.get(service.name());
    Digest running = runtime.inspect(service.containerName()).flatMap(ContainerInfo::digest).orElse(null);
    fleet.publish(service, new FleetCoordinator.PublishedState(
        running,
        s.phase().label(),
        s.lastOutcome() == null ? "" : s.lastOutcome().label(),
        s.failed(),
        clock.instant().toString()));
  }

  /** Sends published state held back by the API budget (once per pass). */
  public void flushPublished() {
    fleet.flush();
  }

  /** Releases a claim a crashed predecessor of this agent may have left. */
  public void releaseStaleClaim(ServiceSpec service) {
    if (service.trafficSpec().isPresent()) {
      fleet.claim(service, false);
    }
  }

  /**
   * The host port the load balancer sends {@code current}'s traffic to. A service that publishes
   * one port may have it moved by start-first (it alternates between the configured port and
   * {@code rollout.nextPort}), so the container's own label says where it is, whatever the
   * strategy is now: a service switched back to stop-first must drain the port its container
   * really uses. Services with several ports never move them (start-first allows only one).
   */
  static int servingPort(ServiceSpec service, Optional<ContainerInfo> current) {
    int configured = service.trafficSpec().map(t -> t.port())
        .orElseGet(() -> service.container().ports().isEmpty() ? 0 : service.container().ports().get(0).hostPort());
    if (service.container().ports().size() != 1) {
      return configured;
    }
    return current.flatMap(ContainerInfo::hostPort).orElse(configured);
  }

  private static int primaryPort(ServiceSpec service) {
    return service.container().ports().isEmpty() ? 0 : service.container().ports().get(0).hostPort();
  }

  private static int otherPort(ServiceSpec service, int port) {
    int primary = primaryPort(service);
    return port == primary ? service.rollout().nextHostPort() : primary;
  }

  private static RolloutSpec.Strategy strategyOf(ServiceSpec service) {
    return service.rollout().strategy();
  }

  private static boolean isTarget(ContainerInfo container, ImageRef image) {
    return container != null && container.digest().map(image.digest()::equals).orElse(false);
  }

  private Duration jittered(Duration base) {
    return Duration.ofMillis((long) (base.toMillis() * (0.5 + random.nextDouble())));
  }

  static String context(ServiceSpec service, ImageRef image, Phase phase) {
    return "[service=" + service.name()
        + (image == null ? "" : ", digest=" + image.digest().shortForm() + "…")
        + ", phase=" + phase.name() + "]";
  }
}
