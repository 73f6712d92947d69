package dev.driftguard.reconcile;

import dev.driftguard.desired.SecretSource;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RegistryCredential;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deploy state machine of one host (DESIGN 3, stop-first). Each phase is saved before it
 * starts, and each step is idempotent, so {@link #resume} can pick up after a crash anywhere:
 * it completes a deploy whose new container exists, and otherwise rolls back or starts over.
 *
 * <p>The old container is never removed during a deploy: it is stopped and renamed
 * {@code <service>-previous}, which is what a rollback restores.
 */
public final class Deployer {
  private static final Logger logger = LoggerFactory.getLogger(Deployer.class);

  private final ContainerRuntime runtime;
  private final RegistryAuth registryAuth;
  private final SecretSource secrets;
  private final TrafficGate traffic;
  private final HealthWaiter health;
  private final StateBook states;
  private final ReconcileListener listener;
  private final Clock clock;

  public Deployer(
      ContainerRuntime runtime,
      RegistryAuth registryAuth,
      SecretSource secrets,
      TrafficGate traffic,
      dev.driftguard.health.HealthCheck.Factory healthChecks,
      StateBook states,
      ReconcileListener listener,
      Clock clock,
      Sleeper sleeper) {
    this.runtime = runtime;
    this.registryAuth = registryAuth;
    this.secrets = secrets;
    this.traffic = traffic;
    this.health = new HealthWaiter(runtime, healthChecks, clock, sleeper);
    this.states = states;
    this.listener = listener;
    this.clock = clock;
  }

  /** Replaces the service's container with one from {@code image}. */
  public DeployOutcome deploy(ServiceSpec service, ImageRef image, Set<DriftReason> reasons)
      throws InterruptedException {
    reasons.forEach(r -> listener.driftDetected(service.name(), r));
    logger.info("{} drift detected {}, deploying", context(service, image, Phase.PULL), reasons);
    return runFrom(Phase.PULL, service, image, clock.instant());
  }

  /** Starts the service's existing (exited) container again and waits for it to be healthy. */
  public void restart(ServiceSpec service, Set<DriftReason> reasons) throws InterruptedException {
    reasons.forEach(r -> listener.driftDetected(service.name(), r));
    String name = service.containerName();
    logger.info("[service={}, phase=restart] container {} is not running, starting it again", service.name(), name);
    runtime.start(name);
    Optional<String> unhealthy = health.await(name, service.container(), service.health());
    if (unhealthy.isPresent()) {
      logger.warn("[service={}, phase=restart] restart did not become healthy: {}", service.name(), unhealthy.get());
      states.put(states.get(service.name()).withError("restart failed: " + unhealthy.get()));
      return;
    }
    join(service, servingPort(service));
    logger.info("[service={}, phase=restart] container {} is healthy again", service.name(), name);
  }

  /** Completes or rolls back a deploy that an agent crash or restart interrupted. */
  public DeployOutcome resume(ServiceSpec service, ObservedService observed) throws InterruptedException {
    ServiceState state = observed.state();
    ImageRef target = state.target();
    Phase phase = state.phase();
    logger.info("{} resuming an interrupted deploy", context(service, target, phase));
    Instant started = clock.instant();
    if (target == null) {
      idle(service);
      return DeployOutcome.FAILED;
    }
    Optional<ContainerInfo> current = observed.currentContainer();
    boolean currentIsTarget =
        current.flatMap(ContainerInfo::digest).map(target.digest()::equals).orElse(false);
    switch (phase) {
      case PULL, GATE:
        // Nothing on the host changed yet: forget the attempt, the next pass decides afresh.
        idle(service);
        return DeployOutcome.FAILED;
      case DEREGISTER, STOP, START, HEALTH, REGISTER:
        if (currentIsTarget) {
          return runFrom(Phase.HEALTH, service, target, started);
        }
        if (current.isEmpty()) {
          return runFrom(Phase.START, service, target, started);
        }
        // The old container still serves under its own name: put it back and start over.
        runtime.start(service.containerName());
        join(service, servingPort(service));
        idle(service);
        return DeployOutcome.FAILED;
      case COMMIT:
        return runFrom(Phase.COMMIT, service, target, started);
      case ROLLBACK:
        return rollback(service, target, "interrupted during rollback", started);
      default:
        idle(service);
        return DeployOutcome.FAILED;
    }
  }

  /**
   * Runs the deploy from {@code from} on. Failures before the old container is touched end the
   * deploy as FAILED with everything left running; failures after it roll back.
   */
  private DeployOutcome runFrom(Phase from, ServiceSpec service, ImageRef image, Instant started)
      throws InterruptedException {
    String name = service.containerName();
    int port = servingPort(service);
    RunSpec spec;
    Instant outOfServiceSince = null;

    if (from.compareTo(Phase.STOP) <= 0) {
      try {
        enter(service, Phase.PULL, image);
        Instant pullStart = clock.instant();
        pull(image);
        listener.imagePulled(service.name(), Duration.between(pullStart, clock.instant()));
        spec = render(service, image);
        finishPhase(service, Phase.PULL, pullStart);

        enter(service, Phase.DEREGISTER, image);
        Instant drainStart = clock.instant();
        leave(service, port);
        outOfServiceSince = drainStart;
        finishPhase(service, Phase.DEREGISTER, drainStart);
      } catch (RuntimeException e) {
        join(service, port);
        return finish(service, DeployOutcome.FAILED, started, "deploy of " + image.digest().shortForm() + " failed before the running container was touched: " + e.getMessage());
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
        Optional<String> unhealthy = health.await(name, service.container(), service.health());
        finishPhase(service, Phase.HEALTH, healthStart);
        if (unhealthy.isPresent()) {
          return rollback(service, image, unhealthy.get(), started);
        }
      }
      if (from.compareTo(Phase.REGISTER) <= 0) {
        enter(service, Phase.REGISTER, image);
        Instant registerStart = clock.instant();
        join(service, port);
        finishPhase(service, Phase.REGISTER, registerStart);
        if (outOfServiceSince != null) {
          listener.outOfService(service.name(), Duration.between(outOfServiceSince, clock.instant()));
        }
      }
    } catch (RuntimeException e) {
      return rollback(service, image, e.getMessage(), started);
    }

    enter(service, Phase.COMMIT, image);
    states.put(states.get(service.name()).withLastKnownGood(image).withFailed(null));
    return finish(service, DeployOutcome.SUCCESS, started, null);
  }

  /**
   * Stops the serving container and keeps it as {@code <service>-previous} for a rollback. A
   * previous container left by an earlier, committed deploy is removed first; when no container
   * serves, an existing previous one is kept, as it is then the only thing to restore.
   */
  private void retire(ServiceSpec service) {
    String name = service.containerName();
    String previous = service.previousContainerName();
    Optional<ContainerInfo> current = runtime.inspect(name);
    if (current.isEmpty()) {
      return;
    }
    runtime.remove(previous);
    runtime.stop(name, service.container().stopSignal(), service.container().stopTimeout());
    runtime.rename(name, previous);
  }

  private DeployOutcome rollback(ServiceSpec service, ImageRef image, String cause, Instant started)
      throws InterruptedException {
    ServiceState failedState = states.get(service.name()).withFailed(image.digest());
    states.put(failedState);
    if (!service.rollout().rollback()) {
      logger.warn("{} deploy failed and rollback is off: {}", context(service, image, Phase.ROLLBACK), cause);
      return finish(service, DeployOutcome.FAILED, started, cause);
    }
    enter(service, Phase.ROLLBACK, image);
    logger.warn("{} rolling back: {}", context(service, image, Phase.ROLLBACK), cause);
    Instant rollbackStart = clock.instant();
    String name = service.containerName();
    String previous = service.previousContainerName();
    int port = servingPort(service);
    try {
      leave(service, port);
      Optional<ContainerInfo> current = runtime.inspect(name);
      Optional<ContainerInfo> kept = runtime.inspect(previous);
      if (current.isPresent() && kept.isPresent()) {
        runtime.remove(name);
      } else if (current.isPresent() && current.get().digest().map(image.digest()::equals).orElse(false)) {
        runtime.remove(name);
      }
      if (runtime.inspect(name).isEmpty()) {
        if (kept.isEmpty()) {
          finishPhase(service, Phase.ROLLBACK, rollbackStart);
          return finish(service, DeployOutcome.FAILED, started, cause + "; no previous container to roll back to");
        }
        runtime.rename(previous, name);
      }
      runtime.start(name);
      Optional<String> unhealthy = health.await(name, service.container(), service.health());
      if (unhealthy.isPresent()) {
        finishPhase(service, Phase.ROLLBACK, rollbackStart);
        return finish(service, DeployOutcome.FAILED, started, cause + "; the restored container is not healthy either: " + unhealthy.get());
      }
      join(service, port);
    } catch (RuntimeException e) {
      finishPhase(service, Phase.ROLLBACK, rollbackStart);
      return finish(service, DeployOutcome.FAILED, started, cause + "; rollback failed: " + e.getMessage());
    }
    finishPhase(service, Phase.ROLLBACK, rollbackStart);
    return finish(service, DeployOutcome.ROLLED_BACK, started, cause);
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
    Map<String, String> byParameter =
        service.container().envFromSsm().isEmpty()
            ? Map.of()
            : secrets.resolve(service.container().envFromSsm().values());
    Map<String, String> env = new java.util.TreeMap<>();
    service.container().envFromSsm().forEach((var, parameter) -> env.put(var, byParameter.get(parameter)));
    return RunSpec.render(service, image, env);
  }

  private void enter(ServiceSpec service, Phase phase, ImageRef image) {
    states.put(states.get(service.name()).inPhase(phase, image, clock.instant()));
    logger.info("{} entering phase", context(service, image, phase));
  }

  private void finishPhase(ServiceSpec service, Phase phase, Instant since) {
    listener.phaseFinished(service.name(), phase, Duration.between(since, clock.instant()));
  }

  private void idle(ServiceSpec service) {
    ServiceState s = states.get(service.name());
    states.put(s.inPhase(Phase.IDLE, null, clock.instant()));
  }

  private DeployOutcome finish(ServiceSpec service, DeployOutcome outcome, Instant started, String error) {
    Instant now = clock.instant();
    Duration took = Duration.between(started, now);
    ServiceState s = states.get(service.name());
    states.put(s.finished(outcome, now, took, error));
    listener.deployFinished(service.name(), outcome, took);
    String ctx = context(service, s.target(), Phase.IDLE);
    if (outcome == DeployOutcome.SUCCESS) {
      logger.info("{} deploy succeeded in {}s", ctx, took.toSeconds());
    } else {
      logger.warn("{} deploy {} after {}s: {}", ctx, outcome.label(), took.toSeconds(), error);
    }
    return outcome;
  }

  /** Takes this host's target out of service and waits until it has drained. */
  private void leave(ServiceSpec service, int port) throws InterruptedException {
    traffic.deregister(service, port);
    traffic.awaitDrained(service, port);
  }

  /** Puts this host's target in service; fails when the load balancer does not call it healthy. */
  private void join(ServiceSpec service, int port) throws InterruptedException {
    traffic.register(service, port);
    Optional<String> unhealthy = traffic.awaitHealthy(service, port);
    if (unhealthy.isPresent()) {
      throw new dev.driftguard.model.DriftguardException(
          "target " + port + " not healthy in the target group: " + unhealthy.get());
    }
  }

  /** The host port the load balancer sends this service's traffic to. */
  static int servingPort(ServiceSpec service) {
    return service.trafficSpec()
        .map(t -> t.port())
        .orElseGet(() -> service.container().ports().isEmpty() ? 0 : service.container().ports().get(0).hostPort());
  }

  static String context(ServiceSpec service, ImageRef image, Phase phase) {
    return "[service=" + service.name()
        + (image == null ? "" : ", digest=" + image.digest().shortForm() + "…")
        + ", phase=" + phase.name() + "]";
  }
}
