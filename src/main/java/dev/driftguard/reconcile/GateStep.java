package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ContainerInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GATE: waits for this host's turn to leave service (DESIGN 4). The turn is one of the pool's
 * {@code maxUnavailable} slots on the {@link TurnLease}, a strongly consistent compare-and-set:
 * exactly one host gets a free (or expired) slot, however many ask at once. Before asking, the
 * target group itself must show room (the second, independent check: a peer that is unhealthy
 * for reasons of its own counts too). Once the turn is held, the circuit breaker is read again,
 * since a peer may have rolled the digest back meanwhile. Workers (no target group) take turns
 * too. A host whose container does not run is out of service already and needs no turn.
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
    List<PeerTarget> targets = env.fleet().targets(d.service);
    CapacityFloor.Verdict verdict = CapacityFloor.decide(env.instanceId(), targets, d.service.rollout());
    if (verdict.mayLeave()) {
      Optional<TurnLease.Lease> lease = env.turns().acquire(
          StepEnv.pool(d.service), verdict.allowedOut(), env.instanceId(), timing.leaseTtl());
      if (lease.isPresent()) {
        d.lease = lease.get();
        Optional<String> peer = env.fleet().rolledBackBy(d.service, d.image.digest());
        if (peer.isPresent()) {
          return new StepOutcome.Refused("digest " + d.image.digest().shortForm() + " was rolled back on "
              + peer.get() + " while this host waited for its turn");
        }
        logger.info("{} leaving service with turn {} of {} (generation {}): {}", d.context(), d.lease.slot() + 1,
            verdict.allowedOut(), d.lease.generation(), verdict.why());
        return StepOutcome.done();
      }
      say(d, "waiting: all " + verdict.allowedOut() + " turn(s) of " + verdict.hosts() + " host(s) are taken");
    } else {
      say(d, verdict.why());
    }
    if (!now.isBefore(d.phaseStartedAt.plus(timing.gateTimeout()))) {
      return new StepOutcome.Fault("no turn to leave service within " + timing.gateTimeout().toMinutes() + " min");
    }
    return StepOutcome.waitFor(env.jittered(timing.gatePoll()));
  }

  /** Each new reason to wait is logged once, not once per poll. */
  private static void say(Deploy d, String why) {
    if (!why.equals(d.lastDetail)) {
      logger.info("{} {}", d.context(), why);
      d.lastDetail = why;
    }
  }
}
