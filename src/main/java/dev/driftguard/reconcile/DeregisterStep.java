package dev.driftguard.reconcile;

import dev.driftguard.model.DeployPath;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DEREGISTER: takes the old container's target out of the load balancer and waits until it has
 * drained (or the drain timeout passed), polling its state only once the group's deregistration
 * delay, when known, has passed: until then ELBv2 shows it draining whatever its connections do.
 * stop-first checks the capacity floor once more right after leaving: if the group fell below it
 * meanwhile, the deploy faults and RESTORE registers the host again at once (DESIGN 4). A worker
 * has nothing to deregister.
 */
final class DeregisterStep implements DeployStep {
  private static final Logger logger = LoggerFactory.getLogger(DeregisterStep.class);
  private final StepEnv env;

  DeregisterStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    if (!d.service.hasLoadBalancer()) {
      return StepOutcome.done();
    }
    TrafficSpec traffic = d.service.traffic();
    Instant now = env.clock().instant();
    if (!d.acted) {
      env.traffic().deregister(traffic, d.oldPort);
      d.acted = true;
      d.deadline = now.plus(env.traffic().drainTimeout(traffic));
      // ELBv2 shows a deregistered target draining for the group's whole delay, even once its
      // connections closed: polls before then cannot end the drain and only spend the account's
      // Describe* budget (10/s for the whole fleet). Unknown delay: poll from the start.
      d.drainingUntil = env.traffic().deregistrationDelay(traffic).map(now::plus).orElse(now);
      if (d.path == DeployPath.STOP_FIRST) {
        d.outOfServiceSince = now;
        // The group is read again right after leaving: if it fell below its floor meanwhile (a
        // peer failed on its own), this host goes back at once (DESIGN 4).
        CapacityFloor.Verdict after =
            CapacityFloor.decide(
                env.instanceId(), env.fleet().targets(d.service), d.service.rollout());
        if (!after.mayLeave()) {
          return new StepOutcome.Fault(
              "the target group fell below its floor as this host left: " + after.why());
        }
      }
    }
    if (!now.isBefore(d.deadline) && !d.deadline.isAfter(d.drainingUntil)) {
      // The drain timeout ended within the group's delay: the target drains on, as it may.
      return StepOutcome.done();
    }
    if (now.isBefore(d.drainingUntil)) {
      Instant wake = d.drainingUntil.isBefore(d.deadline) ? d.drainingUntil : d.deadline;
      return StepOutcome.waitFor(Duration.between(now, wake));
    }
    TargetState state;
    try {
      state = env.traffic().state(traffic, d.oldPort);
      env.listener().targetState(d.service.name(), d.oldPort, state.label());
    } catch (TrafficGateException e) {
      // Waiting out the drain timeout is safe whatever the API says: keep polling, slower.
      state = null;
    }
    if (state != null && state.gone()) {
      return StepOutcome.done();
    }
    if (!now.isBefore(d.deadline)) {
      logger.info(
          "{} drain timeout passed, target {} still {}; going on",
          d.context(),
          d.oldPort,
          state == null ? "unknown" : state.label());
      return StepOutcome.done();
    }
    Duration poll =
        state == null ? env.timing().targetPoll().multipliedBy(4) : env.timing().targetPoll();
    Duration left = Duration.between(now, d.deadline);
    return StepOutcome.waitFor(poll.compareTo(left) < 0 ? poll : left);
  }
}
