package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ContainerInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GATE: waits for this host's turn to leave service (DESIGN 4). The turn is one of the pool's
 * {@code maxUnavailable} slots on the {@link TurnLease}, a strongly consistent compare-and-set:
 * exactly one host gets a free (or expired) slot, however many ask at once. Before asking, the
 * target group itself must show room (the second, independent check: a peer that is unhealthy for
 * reasons of its own counts too). Once the turn is held, the circuit breaker is read again, since a
 * peer may have rolled the digest back meanwhile. Workers (no target group) take turns too. A host
 * whose container does not run is out of service already and needs no turn.
 */
final class GateStep implements DeployStep {
  private static final Logger logger = LoggerFactory.getLogger(GateStep.class);
  private final StepEnv env;

  GateStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    boolean serving =
        env.runtime().inspect(d.service.containerName()).map(ContainerInfo::running).orElse(false);
    if (!serving) {
      return StepOutcome.done();
    }
    Instant now = env.clock().instant();
    DeployTiming timing = env.timing();
    List<PeerTarget> targets = env.fleet().targets(d.service);
    CapacityFloor.Verdict verdict =
        CapacityFloor.decide(env.instanceId(), targets, d.service.rollout());
    if (verdict.mayLeave()) {
      Optional<TurnLease.Lease> lease =
          env.turns()
              .acquire(
                  StepEnv.pool(d.service),
                  verdict.allowedOut(),
                  env.instanceId(),
                  timing.leaseTtl());
      Optional<String> crowded =
          lease.isPresent()
              ? crowded(d, lease.get(), targets, verdict.allowedOut())
              : Optional.empty();
      if (crowded.isPresent()) {
        env.turns().release(lease.get());
        say(d, crowded.get());
      } else if (lease.isPresent()) {
        d.lease = lease.get();
        Optional<String> peer = env.fleet().rolledBackBy(d.service, d.image.digest());
        if (peer.isPresent()) {
          return new StepOutcome.Refused(
              "digest "
                  + d.image.digest().shortForm()
                  + " was rolled back on "
                  + peer.get()
                  + " while this host waited for its turn");
        }
        logger.info(
            "{} leaving service with turn {} of {} (generation {}): {}",
            d.context(),
            d.lease.slot() + 1,
            verdict.allowedOut(),
            d.lease.generation(),
            verdict.why());
        return StepOutcome.done();
      }
      if (lease.isEmpty()) {
        say(
            d,
            "waiting: all "
                + verdict.allowedOut()
                + " turn(s) of "
                + verdict.hosts()
                + " host(s) are taken");
      }
    } else {
      say(d, verdict.why());
    }
    if (!now.isBefore(d.phaseStartedAt.plus(timing.gateTimeout()))) {
      return new StepOutcome.Fault(
          "no turn to leave service within " + timing.gateTimeout().toMinutes() + " min");
    }
    return StepOutcome.waitFor(env.jittered(timing.gatePoll()));
  }

  /**
   * Why the turn just won must be given back, if it must: the other holders plus the hosts out of
   * service without a turn leave no room under the group's size now. Slots are numbered against the
   * size at the time they were taken, so after the group shrank (a host terminated) a freed low
   * slot can be won while a higher one is still held: one host too many would leave.
   */
  private Optional<String> crowded(
      Deploy d, TurnLease.Lease mine, List<PeerTarget> targets, int allowed) {
    Set<String> holders = new TreeSet<>();
    List<TurnLease.Lease> held;
    try {
      held = env.turns().holders(mine.pool());
    } catch (RuntimeException e) {
      // Unknown is not room: the turn goes back (it would otherwise sit unused until it expires).
      return Optional.of("waiting: cannot read who holds turns: " + e.getMessage());
    }
    for (TurnLease.Lease lease : held) {
      if (!lease.owner().equals(env.instanceId())) {
        holders.add(lease.owner());
      }
    }
    Set<String> outWithoutTurn = CapacityFloor.peersOutOfService(env.instanceId(), targets);
    outWithoutTurn.removeAll(holders);
    int others = holders.size() + outWithoutTurn.size();
    if (others < allowed) {
      return Optional.empty();
    }
    return Optional.of(
        "waiting: "
            + holders.size()
            + " other turn(s) held and "
            + outWithoutTurn.size()
            + " host(s) out of service without one; "
            + allowed
            + " allowed for the group's size now");
  }

  /** Each new reason to wait is logged once, not once per poll. */
  private static void say(Deploy d, String why) {
    if (!why.equals(d.lastDetail)) {
      logger.info("{} {}", d.context(), why);
      d.lastDetail = why;
    }
  }
}
