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
 * DEREGISTER: takes the old container's target out of the load balancer and polls until it has
 * drained (or the drain timeout passed). stop-first checks the capacity floor once more right after
 * leaving: if the group fell below it meanwhile, the deploy faults and RESTORE registers the host
 * again at once (DESIGN 4). A worker has nothing to deregister.
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
