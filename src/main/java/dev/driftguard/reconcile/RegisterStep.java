package dev.driftguard.reconcile;

import dev.driftguard.model.DeployPath;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
import java.time.Instant;

/**
 * REGISTER: puts the new container's target in the load balancer and polls until the group calls it
 * healthy, from when the group's health checks can have done so: a sooner {@code healthy} is a
 * lagged read from before the deploy ({@link StepEnv#registeredState}). A target the group keeps
 * failing (or forgets) for longer than the unhealthy grace, or API errors past the healthy
 * deadline, are faults: RESTORE puts the previous container back. The load balancer's opinion
 * condemns no digest; only HEALTH does.
 */
final class RegisterStep implements DeployStep {
  private final StepEnv env;

  RegisterStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    if (!d.service.hasLoadBalancer()) {
      return StepOutcome.done();
    }
    TrafficSpec traffic = d.service.traffic();
    int port = d.path == DeployPath.START_FIRST ? d.newPort : env.currentServingPort(d.service);
    Instant now = env.clock().instant();
    if (d.deadline == null) {
      d.deadline = now.plus(traffic.healthyDeadline());
    }
    TargetState state;
    try {
      Duration wait = env.untilFirstRead(d, traffic, port, now);
      if (!wait.isZero() && !d.registered) {
        return StepOutcome.waitFor(wait); // its registration's window, bounded by TargetCalls
      }
      if (!wait.isZero() && now.isBefore(d.deadline)) {
        return StepOutcome.waitFor(min(wait, Duration.between(now, d.deadline)));
      }
      state = env.registeredState(d, traffic, port, now);
      env.listener().targetState(d.service.name(), port, state.label());
    } catch (TrafficGateException e) {
      d.lastDetail = e.getMessage();
      if (!now.isBefore(d.deadline)) {
        return notWithinDeadline(port, traffic, "registered", e.getMessage());
      }
      d.faultsInPhase++;
      return StepOutcome.waitFor(
          min(env.backoff(d.faultsInPhase), Duration.between(now, d.deadline)));
    }
    if (state == TargetState.HEALTHY) {
      if (d.outOfServiceSince != null) {
        env.listener().outOfService(d.service.name(), Duration.between(d.outOfServiceSince, now));
      }
      return StepOutcome.done();
    }
    boolean failing =
        state == TargetState.UNHEALTHY
            || state == TargetState.UNUSED
            || state == TargetState.NOT_REGISTERED
            || state == TargetState.DRAINING;
    if (failing) {
      d.badSince = d.badSince == null ? now : d.badSince;
      if (!now.isBefore(d.badSince.plus(env.timing().unhealthyGrace()))) {
        return new StepOutcome.Fault(
            "target "
                + env.instanceId()
                + ":"
                + port
                + " "
                + state.label()
                + " in the target group for "
                + Duration.between(d.badSince, now).toSeconds()
                + "s");
      }
    } else {
      d.badSince = null;
    }
    if (!now.isBefore(d.deadline)) {
      return notWithinDeadline(port, traffic, "healthy", state.label());
    }
    return StepOutcome.waitFor(min(env.timing().targetPoll(), Duration.between(now, d.deadline)));
  }

  /**
   * The fault when the healthy deadline passed: {@code target i-0abc:8080 not healthy within 300s:
   * unhealthy}.
   */
  private StepOutcome notWithinDeadline(int port, TrafficSpec traffic, String what, String detail) {
    return new StepOutcome.Fault(
        "target "
            + env.instanceId()
            + ":"
            + port
            + " not "
            + what
            + " within "
            + traffic.healthyDeadline().toSeconds()
            + "s: "
            + detail);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
