package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DEREGISTER: takes the old container's target out of the load balancer and waits until it has
 * drained (or the drain timeout passed), polling its state only once the group's deregistration
 * delay, when known, has passed: until then ELBv2 shows it draining whatever its connections do.
 * stop-first checks the capacity floor once more a few seconds after leaving: if the group fell
 * below it meanwhile, the deploy faults and RESTORE registers the host again at once (DESIGN 4). A
 * worker has nothing to deregister.
 */
final class DeregisterStep implements DeployStep {
  private static final Logger logger = LoggerFactory.getLogger(DeregisterStep.class);

  /**
   * The capacity floor is read again this long after leaving (jittered; sooner when the group's
   * delay is shorter): a census a peer took after this host left then serves it.
   */
  static final Duration FLOOR_CHECK_AFTER = Duration.ofSeconds(5);

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
      try {
        // Batched with peers' deregistrations: a wait is the intent's window (TargetCalls).
        Duration wait = env.calls().make(d, TargetCall.DEREGISTER, traffic, d.oldPort);
        if (!wait.isZero()) {
          return StepOutcome.waitFor(wait);
        }
      } catch (TrafficGateException e) {
        // Throttled, the host still serves under its turn (the runner renews it) and the
        // account's bucket refills within seconds: it tries again in this phase, as long as it
        // would wait at the gate. As a fault it cost a backoff of minutes, and the turn went to a
        // host that met the same bucket.
        if (!now.isBefore(d.phaseStartedAt.plus(env.timing().gateTimeout()))) {
          throw e;
        }
        return StepOutcome.waitFor(env.pauseIfThrottled(d, e));
      }
      d.acted = true;
      d.deadline = now.plus(env.traffic().drainTimeout(traffic));
      // ELBv2 shows a deregistered target draining for the group's whole delay, even once its
      // connections closed: polls before then cannot end the drain and only spend the account's
      // Describe* budget (10/s for the whole fleet). Unknown delay: poll from the start.
      Optional<Duration> delay = env.traffic().deregistrationDelay(traffic);
      d.drainingUntil = delay.map(now::plus).orElse(now);
      d.drainDelayKnown = delay.isPresent();
      if (d.path == DeployPath.STOP_FIRST) {
        d.outOfServiceSince = now;
        // A census read after this mark shows this host gone (ELBv2's own lag aside). Read a few
        // seconds in (within the group's delay, while the target drains anyway), so that one
        // census taken after several hosts left serves them all (StepEnv#census).
        d.markAfterLeaving = env.censusMark(d.service);
        Instant soon = now.plus(env.jittered(FLOOR_CHECK_AFTER));
        d.floorCheckAt = soon.isBefore(d.drainingUntil) ? soon : d.drainingUntil;
      }
    }
    if (d.floorCheckAt != null) {
      if (now.isBefore(d.floorCheckAt)) {
        return StepOutcome.waitFor(Duration.between(now, d.floorCheckAt));
      }
      // The group is read again after leaving: if it fell below its floor meanwhile (a peer
      // failed on its own), this host goes back at once (DESIGN 4). Throttled, it is read
      // again while the target drains; the turn lease is what let the host leave, so a check
      // still throttled when the drain timeout ends is given up, not turned into a fault.
      try {
        CapacityFloor.Verdict after =
            CapacityFloor.decide(
                env.instanceId(),
                env.census(d.service, d.markAfterLeaving, d.outOfServiceSince),
                d.service.rollout());
        d.floorCheckAt = null;
        if (!after.mayLeave()) {
          return new StepOutcome.Fault(
              "the target group fell below its floor as this host left: " + after.why());
        }
      } catch (FleetCoordinationException e) {
        if (!e.throttled()) {
          throw e;
        }
        if (now.isBefore(d.deadline)) {
          Duration pause = env.throttledPause(d);
          Duration left = Duration.between(now, d.deadline);
          return StepOutcome.waitFor(pause.compareTo(left) < 0 ? pause : left);
        }
        d.floorCheckAt = null;
        logger.warn(
            "{} the capacity floor could not be read again after leaving (throttled until the"
                + " drain timeout); going on under the turn lease",
            d.context());
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
    if (d.drainDelayKnown) {
      // The group's whole delay has passed: ELBv2 has closed the target's last connections, so
      // the drain is over whatever a (possibly lagging) read would say. Polling for "unused" here
      // cost ~5 DescribeTargetHealth calls a deploy, the largest share of the account's Describe*
      // bucket at 2,000 hosts.
      return StepOutcome.done();
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
