package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
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
 * exactly one host gets a free (or expired) slot, however many ask at once. With a turn won, the
 * target group itself must show room (the second, independent check: a peer that is unhealthy for
 * reasons of its own counts too), or the turn goes back. The slots are numbered against the group's
 * size as last read (or assumed before a read), so waiting hosts read the lease table, not ELBv2,
 * whose Describe* bucket is the account's. Once the turn is held, the circuit breaker is read
 * again, since a peer may have rolled the digest back meanwhile. Workers (no target group) take
 * turns too. A host whose container does not run is out of service already and needs no turn.
 */
final class GateStep implements DeployStep {
  private static final Logger logger = LoggerFactory.getLogger(GateStep.class);

  /** A turn given back for lack of room waits this many gate polls before the next try. */
  static final int ROOMLESS_FACTOR = 3;

  /**
   * Settings a peer shared longer ago than this are read from ELBv2 again: an operator who changes
   * the group's deregistration delay or health check sees every host follow within the hour.
   */
  static final Duration SHARED_SETTINGS_MAX_AGE = Duration.ofHours(1);

  /**
   * With a turn won, a read of the group by any host at most this old serves as its check: the
   * lease decides who may go exactly, and what the read adds (hosts out of service without a turn:
   * dead, failing on their own, joining, or just back and not yet healthy) changes within seconds,
   * so an older census shows hosts out that are back, and the turn goes back for nothing. "At most
   * this old" is known either way {@link StepEnv#census} knows it: by the writer's clock within the
   * fleet's skew bound, or, whatever the skew, by the lease table's counter against a note this
   * host took no longer ago (as its deploy began and at every wait here).
   */
  static final Duration CENSUS_MAX_AGE = Duration.ofSeconds(10);

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
    if (d.service.hasLoadBalancer() && !d.acted) {
      StepOutcome wait = learnGroupSettings(d, now);
      if (wait != null) {
        return wait;
      }
      d.acted = true;
    }
    if (d.roomlessUntil != null && now.isBefore(d.roomlessUntil)) {
      // Waiting out a turn given back for lack of room: notes taken meanwhile let the next try use
      // a census read since (one small read of the lease table per poll, not one of ELBv2).
      noteCensusMark(d, now);
      Duration left = Duration.between(now, d.roomlessUntil);
      Duration poll = env.jittered(timing.gatePoll());
      return StepOutcome.waitFor(poll.compareTo(left) < 0 ? poll : left);
    }
    d.roomlessUntil = null;
    List<PeerTarget> targets = null;
    Optional<TurnLease.Lease> lease;
    if (d.lease != null) {
      // Won at an earlier try whose read of the group was throttled: kept (the runner renews it)
      // rather than handed to the next host, which would only read the throttled group again.
      lease = Optional.of(d.lease);
    } else {
      int slots;
      if (d.service.hasLoadBalancer()) {
        // Ask the lease first and read the group only with a turn won: waiting hosts then cost
        // the account's ELBv2 Describe* bucket nothing (reading it on every wait poll saturated it
        // at 2,000 hosts). The slots are numbered against the group's size as last read, or as
        // assumed before any read; the read after winning decides with the size now.
        slots = CapacityFloor.allowedOut(env.fleet().assumedSize(d.service), d.service.rollout());
      } else {
        // A worker has no group to read (no call is made): the turns alone pace it.
        targets = env.fleet().targets(d.service);
        slots = CapacityFloor.decide(env.instanceId(), targets, d.service.rollout()).allowedOut();
      }
      try {
        lease =
            env.turns()
                .acquire(StepEnv.pool(d.service), slots, env.instanceId(), timing.leaseTtl());
      } catch (FleetCoordinationException e) {
        // The lease table's partition refused the read (thousands of hosts waiting on one
        // pool): the host still serves and waits here, as for a turn taken.
        return waitOrGiveUp(
            d, now, "waiting: the turn lease table is throttled", env.pauseIfThrottled(d, e));
      }
      if (lease.isEmpty()) {
        noteCensusMark(d, now);
        return waitOrGiveUp(
            d,
            now,
            "waiting: all " + slots + " turn(s) of the group are taken or resting",
            env.jittered(timing.gatePoll()));
      }
      // A turn taken here deregisters and registers this host: its slot rests a cycle from now
      // once given back, which keeps the pool's registration calls inside the budget. A worker
      // makes no such call.
      d.turnFreeFrom = d.service.hasLoadBalancer() ? now.plus(timing.turnCycle(slots)) : null;
      d.turnSlots = slots;
    }
    Optional<String> roomless;
    CapacityFloor.Verdict verdict;
    try {
      if (targets == null) {
        targets = env.census(d.service, oldestYoungMark(d, now), now.minus(CENSUS_MAX_AGE));
      }
      verdict = CapacityFloor.decide(env.instanceId(), targets, d.service.rollout());
      roomless =
          verdict.mayLeave()
              ? crowded(d, lease.get(), targets, verdict.allowedOut())
              : Optional.of(verdict.why());
    } catch (FleetCoordinationException e) {
      // The group could not be read with the turn won: unknown is not room.
      return throttledOrThrow(d, now, e, lease.get());
    } catch (RuntimeException e) {
      giveBack(d, lease.get());
      throw e;
    }
    if (roomless.isPresent()) {
      giveBack(d, lease.get());
      // The next try needs a newer census than the one that showed no room.
      d.censusNotes.clear();
      noteCensusMark(d, now);
      // The turn went back for the group's sake (peers out of service, a shrunk group): each try
      // costs a read of the group, so the next one waits longer than a plain wait for a turn.
      d.roomlessUntil = now.plus(env.jittered(timing.gatePoll().multipliedBy(ROOMLESS_FACTOR)));
      return waitOrGiveUp(d, now, roomless.get(), env.jittered(timing.gatePoll()));
    }
    Optional<String> peer;
    try {
      peer = env.fleet().rolledBackBy(d.service, d.image.digest());
    } catch (FleetCoordinationException e) {
      return throttledOrThrow(d, now, e, lease.get());
    } catch (RuntimeException e) {
      giveBack(d, lease.get());
      throw e;
    }
    d.lease = lease.get();
    if (peer.isPresent()) {
      d.turnFreeFrom = null; // not used: no host left service with it
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

  /**
   * Makes the group's settings known before the host leaves (the drain ends with the deregistration
   * delay; the health-check timing says when a registered target can be healthy), once per deploy:
   * from the lease table when a peer shared them within {@link #SHARED_SETTINGS_MAX_AGE}, else from
   * ELBv2, and then shared. Read per host from ELBv2, they were 4,000 of the account's Describe*
   * calls for a 2,000-host rollout, most of them retried after throttling.
   *
   * @return null once known (or refused for good: the fallbacks apply); a wait while throttled
   */
  private StepOutcome learnGroupSettings(Deploy d, Instant now) {
    TrafficSpec traffic = d.service.traffic();
    if (env.traffic().knownGroupSettings(traffic).isPresent()) {
      return null;
    }
    String pool = StepEnv.pool(d.service);
    try {
      Optional<GroupSettings> shared =
          env.turns().sharedSettings(pool, now.minus(SHARED_SETTINGS_MAX_AGE));
      if (shared.isPresent()) {
        env.traffic().adoptGroupSettings(traffic, shared.get());
        return null;
      }
    } catch (FleetCoordinationException e) {
      // The table cannot say now: read the group itself, as if nobody had shared.
    }
    try {
      env.traffic().learnGroupSettings(traffic);
    } catch (TrafficGateException e) {
      return waitOrGiveUp(
          d,
          now,
          "waiting: reading the target group's settings is throttled",
          env.pauseIfThrottled(d, e));
    }
    Optional<GroupSettings> read = env.traffic().knownGroupSettings(traffic);
    if (read.isPresent()) {
      try {
        env.turns().shareSettings(pool, read.get());
      } catch (FleetCoordinationException e) {
        logger.debug("{} could not share the group's settings: {}", d.context(), e.getMessage());
      }
    }
    return null;
  }

  /**
   * A read of the fleet failed at the gate. Throttled, the step waits and reads again, since the
   * bucket is the account's, keeping a turn it won: the host still serves, and given back the turn
   * would only pass to a host that reads the same throttled group. Any other error gives the turn
   * back (unknown is not room) and ends the attempt.
   */
  private StepOutcome throttledOrThrow(
      Deploy d, Instant now, FleetCoordinationException e, TurnLease.Lease won) {
    if (!e.throttled()) {
      giveBack(d, won);
      throw e;
    }
    d.lease = won;
    return waitOrGiveUp(d, now, "waiting: reading the fleet is throttled", env.throttledPause(d));
  }

  /** Gives back a turn not used (no call to ELBv2 made with it): free again at once. */
  private void giveBack(Deploy d, TurnLease.Lease lease) {
    env.turns().release(lease);
    d.lease = null;
    d.turnFreeFrom = null;
  }

  private StepOutcome waitOrGiveUp(Deploy d, Instant now, String why, Duration pause) {
    say(d, why);
    DeployTiming timing = env.timing();
    if (!now.isBefore(d.phaseStartedAt.plus(timing.gateTimeout()))) {
      return new StepOutcome.Fault(
          "no turn to leave service within " + timing.gateTimeout().toMinutes() + " min");
    }
    return StepOutcome.waitFor(pause);
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

  /**
   * Notes where the group's shared census stands while this host waits for a turn (one small read
   * of the lease table per gate poll): when the turn comes, a census a peer read after the oldest
   * note younger than {@link #CENSUS_MAX_AGE} serves it.
   */
  private void noteCensusMark(Deploy d, Instant now) {
    if (!d.service.hasLoadBalancer()) {
      return;
    }
    dropOldNotes(d, now); // a wait of many minutes keeps a handful, not one per poll
    Deploy.CensusNote newest = d.censusNotes.peekLast();
    if (newest == null || !now.isBefore(newest.at().plus(CENSUS_MAX_AGE.dividedBy(4)))) {
      d.censusNotes.add(new Deploy.CensusNote(env.censusMark(d.service), now));
    }
  }

  /** The oldest mark noted within {@link #CENSUS_MAX_AGE}; or none. */
  private static long oldestYoungMark(Deploy d, Instant now) {
    dropOldNotes(d, now);
    return d.censusNotes.isEmpty() ? TurnLease.NO_CENSUS : d.censusNotes.peekFirst().mark();
  }

  private static void dropOldNotes(Deploy d, Instant now) {
    Instant oldest = now.minus(CENSUS_MAX_AGE);
    while (!d.censusNotes.isEmpty() && d.censusNotes.peekFirst().at().isBefore(oldest)) {
      d.censusNotes.removeFirst();
    }
  }
}
