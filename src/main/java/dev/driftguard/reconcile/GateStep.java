package dev.driftguard.reconcile;

import dev.driftguard.model.ContainerInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GATE: waits for this host's turn to leave service. The capacity floor must allow it, and it
 * must still allow it after this host's claim had time to become visible to peers deciding at
 * the same moment (docs/design/capacity-floor.md). Then the circuit breaker is read again, since
 * a peer may have rolled the digest back meanwhile. Workers (no target group) take turns too.
 * A host whose container does not run is out of service already and needs no turn.
 */
final class GateStep implements DeployStep {
  private static final Logger logger = LoggerFactory.getLogger(GateStep.class);
  private final StepEnv env;

  GateStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    boolean serving = env.runtime().inspect(d.service.containerName()).map(ContainerInfo::running).orElse(false);
    if (!serving) {
      return StepOutcome.done();
    }
    Instant now = env.clock().instant();
    DeployTiming timing = env.timing();
    if (d.claimedAt != null) {
      Instant settled = d.claimedAt.plus(timing.claimSettle());
      if (now.isBefore(settled)) {
        return StepOutcome.waitFor(Duration.between(now, settled));
      }
      CapacityFloor.Verdict verdict = verdict(d, d.claimedAt);
      if (verdict.mayLeave()) {
        Optional<String> peer = env.fleet().rolledBackBy(d.service, d.image.digest());
        if (peer.isPresent()) {
          return new StepOutcome.Refused("digest " + d.image.digest().shortForm() + " was rolled back on "
              + peer.get() + " while this host waited for its turn");
        }
        logger.info("{} leaving service: {}", d.context(), verdict.why());
        return StepOutcome.done();
      }
      release(d);
      say(d, verdict.why());
    } else {
      CapacityFloor.Verdict verdict = verdict(d, now);
      if (verdict.mayLeave() && env.fleet().claim(d.service, true)) {
        d.claimedAt = now;
        d.claimHeld = true;
        return StepOutcome.waitFor(timing.claimSettle());
      }
      say(d, verdict.why());
    }
    if (!now.isBefore(d.phaseStartedAt.plus(timing.gateTimeout()))) {
      return new StepOutcome.Fault("no turn to leave service within " + timing.gateTimeout().toMinutes() + " min");
    }
    return StepOutcome.waitFor(env.jittered(timing.gatePoll()));
  }

  private CapacityFloor.Verdict verdict(Deploy d, Instant myClaim) {
    return CapacityFloor.decide(
        env.instanceId(), myClaim, env.fleet().targets(d.service),
        env.fleet().claims(d.service, env.timing().claimMaxAge()), env.timing().claimSettle(), d.service.rollout());
  }

  private void release(Deploy d) {
    if (d.claimHeld) {
      env.fleet().claim(d.service, false);
      d.claimHeld = false;
    }
    d.claimedAt = null;
  }

  /** Each new reason to wait is logged once, not once per poll. */
  private static void say(Deploy d, String why) {
    if (!why.equals(d.lastDetail)) {
      logger.info("{} {}", d.context(), why);
      d.lastDetail = why;
    }
  }
}
