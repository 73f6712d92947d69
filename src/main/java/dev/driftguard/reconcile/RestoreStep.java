package dev.driftguard.reconcile;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * ROLLBACK (after evidence against the image) and RESTORE (after a fault): the service ends with
 * exactly one container running, the previous one where there is one, and registered. It needs only
 * the engine and the load balancer, never the registry or SSM, so a failed dependency is not waited
 * for. A {@code -next} container goes; in stop-first the new container gives way to {@code
 * <service>-previous} once the old one was stopped. When there is nothing to restore (a fresh host)
 * it ends at once and the loop starts something (DESIGN 3: never empty).
 *
 * <p>With {@code rollout.rollback: false} a rolled-back container is kept, stopped, as {@code
 * <service>-failed} for inspection instead of being removed; the previous one is restored anyway.
 */
final class RestoreStep implements DeployStep {
  /** stop-first phases after which the old container no longer serves under its own name. */
  private static final Set<Phase> AFTER_STOP =
      Set.of(Phase.START, Phase.HEALTH, Phase.REGISTER, Phase.COMMIT);

  private final StepEnv env;

  RestoreStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    ServiceSpec s = d.service;
    ContainerRuntime runtime = env.runtime();
    String name = s.containerName();
    boolean keepFailed = d.phase == Phase.ROLLBACK && !s.rollout().rollback();
    if (!d.acted) {
      Optional<ContainerInfo> next = runtime.inspect(s.nextContainerName());
      if (next.isPresent()) {
        if (s.hasLoadBalancer()) {
          // Through TargetCalls: a peer may still carry this port's registration (start-first).
          Duration wait =
              env.calls()
                  .make(
                      d,
                      TargetCall.DEREGISTER,
                      s.traffic(),
                      next.get().hostPort().orElse(d.newPort));
          if (!wait.isZero()) {
            return StepOutcome.waitFor(wait);
          }
        }
        discard(runtime, s, s.nextContainerName(), keepFailed);
      }
      Optional<ContainerInfo> current = runtime.inspect(name);
      boolean previous = runtime.inspect(s.previousContainerName()).isPresent();
      if (current.isPresent()
          && newContainerServes(d, current.get(), previous)
          && (previous || d.phase == Phase.ROLLBACK || !current.get().running())) {
        // The new container gives way: to the previous one, or (a bad image, or one that never
        // started) to nothing, after which the loop starts what is known good.
        discard(runtime, s, name, keepFailed);
        current = Optional.empty();
      }
      if (current.isEmpty() && previous) {
        runtime.rename(s.previousContainerName(), name);
      }
      if (runtime.inspect(name).isEmpty()) {
        d.cause = (d.cause == null ? "" : d.cause + "; ") + "no previous container to restore";
        return StepOutcome.done();
      }
      runtime.start(name);
      d.acted = true;
    }
    return reRegister(d);
  }

  /**
   * Whether {@code current}, the container with the service's name, is the one this deploy created
   * (stop-first after STOP) rather than the old one still serving under its own name.
   */
  private static boolean newContainerServes(Deploy d, ContainerInfo current, boolean previous) {
    if (d.path != DeployPath.STOP_FIRST) {
      // start-first's new container is -next until STOP; a restart has no new container.
      return false;
    }
    if (d.restoreFrom != null) {
      return d.phase == Phase.ROLLBACK || AFTER_STOP.contains(d.restoreFrom);
    }
    // Resumed after a crash: while a previous container waits, the swap has not happened yet.
    // Without one, the container is the old one put back (keep it), or the new one on a fresh
    // host (it goes if it is the image rolled back, or dead).
    if (previous) {
      return true;
    }
    return d.phase == Phase.ROLLBACK ? StepEnv.runs(current, d.image) : !current.running();
  }

  private static void discard(
      ContainerRuntime runtime, ServiceSpec s, String container, boolean keepFailed) {
    if (!keepFailed) {
      runtime.remove(container);
      return;
    }
    String failed = s.containerName() + "-failed";
    runtime.remove(failed);
    runtime.stop(container, s.container().stopSignal(), s.container().stopTimeout());
    runtime.rename(container, failed);
  }

  /**
   * Registers the restored container and waits (polls) until its target is healthy, bounded; as in
   * REGISTER, a {@code healthy} sooner than the group's checks allow is not believed, since the
   * turn is given back when this ends.
   */
  private StepOutcome reRegister(Deploy d) {
    if (!d.service.hasLoadBalancer()) {
      return StepOutcome.done();
    }
    TrafficSpec traffic = d.service.traffic();
    int port = env.currentServingPort(d.service);
    Instant now = env.clock().instant();
    if (d.deadline == null) {
      d.deadline = now.plus(traffic.healthyDeadline());
    }
    try {
      Duration wait = env.untilFirstRead(d, traffic, port, now);
      if (!wait.isZero() && !d.registered) {
        return StepOutcome.waitFor(wait); // its registration's window, bounded by TargetCalls
      }
      if (!wait.isZero() && now.isBefore(d.deadline)) {
        Duration left = Duration.between(now, d.deadline);
        return StepOutcome.waitFor(wait.compareTo(left) < 0 ? wait : left);
      }
      TargetState state = env.registeredState(d, traffic, port, now);
      env.listener().targetState(d.service.name(), port, state.label());
      if (state == TargetState.HEALTHY) {
        return StepOutcome.done();
      }
      d.lastDetail = state.label();
    } catch (TrafficGateException e) {
      // The container serves; registering it again is retried until the load balancer answers.
      d.lastDetail = e.getMessage();
      d.faultsInPhase++;
      Duration pause = env.backoff(d.faultsInPhase);
      Duration cap = env.timing().leaseTtl().dividedBy(4);
      return StepOutcome.waitFor(pause.compareTo(cap) <= 0 ? pause : cap);
    }
    if (!now.isBefore(d.deadline)) {
      // Registered but not (yet) healthy in the group: the loop's in-service check follows it.
      d.cause =
          (d.cause == null ? "" : d.cause + "; ")
              + "restored container registered, target "
              + d.lastDetail;
      return StepOutcome.done();
    }
    Duration poll = env.timing().targetPoll();
    Duration left = Duration.between(now, d.deadline);
    return StepOutcome.waitFor(poll.compareTo(left) < 0 ? poll : left);
  }
}
