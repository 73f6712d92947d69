package dev.driftguard.reconcile;

import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.Digest;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs deploys through the {@link DeployTable}, one step at a time: {@link #begin} or {@link
 * #resume} a deploy, then {@link #step} it whenever it is due until {@link Deploy#end} is set. Each
 * phase is saved (and published) before its step first runs, so after a crash {@link #resume}
 * continues from the saved phase through the same table. Nothing here sleeps; the loop paces the
 * steps, which is what lets a whole fleet run in virtual time.
 */
public final class DeployRunner {
  private static final Logger logger = LoggerFactory.getLogger(DeployRunner.class);

  private final StepEnv env;
  private final HostPresence presence;
  private final Map<Phase, DeployStep> steps = new EnumMap<>(Phase.class);

  DeployRunner(StepEnv env, HostPresence presence) {
    this.env = env;
    this.presence = presence;
    steps.put(Phase.PULL, new PullStep(env));
    steps.put(Phase.RUN_ONCE, new RunOnceStep(env));
    steps.put(Phase.GATE, new GateStep(env));
    steps.put(Phase.DEREGISTER, new DeregisterStep(env));
    steps.put(Phase.STOP, new StopStep(env));
    steps.put(Phase.START, new StartStep(env));
    steps.put(Phase.HEALTH, new HealthStep(env));
    steps.put(Phase.REGISTER, new RegisterStep(env));
    steps.put(Phase.COMMIT, new CommitStep(env));
    RestoreStep restore = new RestoreStep(env);
    steps.put(Phase.ROLLBACK, restore);
    steps.put(Phase.RESTORE, restore);
  }

  /**
   * Starts a deploy of {@code image} along {@code path}; its first step runs when the loop steps
   * it.
   */
  Deploy begin(
      ServiceSpec service,
      ImageRef image,
      DeployPath path,
      Set<DriftReason> reasons,
      boolean lastResort) {
    reasons.forEach(r -> env.listener().driftDetected(service.name(), r));
    Deploy d = new Deploy(service, image, path, reasons, env.clock().instant(), lastResort);
    d.oldPort = env.currentServingPort(service);
    d.newPort = path == DeployPath.START_FIRST ? StepEnv.otherPort(service, d.oldPort) : d.oldPort;
    if (service.hasLoadBalancer() && path != DeployPath.RESTART) {
      // Noted before the pull, so that a turn won at the gate's first try can use a census a peer
      // read meanwhile (GateStep.CENSUS_MAX_AGE) instead of reading the group itself.
      d.censusNotes.add(new Deploy.CensusNote(env.censusMark(service), d.startedAt));
    }
    logger.info(
        "[service={}, digest={}…] drift detected {}, {} ({})",
        service.name(),
        image.digest().shortForm(),
        reasons,
        path == DeployPath.RESTART ? "restarting the container" : "deploying",
        path.label());
    enter(d, DeployTable.first(path));
    return d;
  }

  /**
   * Picks up the deploy an agent crash or restart interrupted, from its saved phase; empty when
   * nothing is left to resume (the state is then idle again).
   */
  Optional<Deploy> resume(ServiceSpec service, ObservedService observed) {
    ServiceState state = observed.state();
    if (state.target() == null) {
      env.states().put(state.abandoned(env.clock().instant()));
      return Optional.empty();
    }
    DeployPath path =
        state.path() != null ? state.path() : DeployPath.of(service.rollout().strategy());
    Deploy d = new Deploy(service, state.target(), path, Set.of(), env.clock().instant(), false);
    // start-first between its two renames: the old container already carries the -previous name.
    ContainerInfo old =
        observed.current() != null || path != DeployPath.START_FIRST
            ? observed.current()
            : observed.previous();
    d.oldPort = StepEnv.servingPort(service, old);
    d.newPort =
        observed.next() != null
            ? observed.next().hostPort().orElse(StepEnv.otherPort(service, d.oldPort))
            : path == DeployPath.START_FIRST ? StepEnv.otherPort(service, d.oldPort) : d.oldPort;
    d.enter(state.phase(), env.clock().instant());
    // The agent that crashed may have held a turn lease: find it again, so it is renewed while
    // the deploy goes on and released at its end, and peers need not wait for it to expire.
    d.findLease = true;
    logger.info("{} resuming an interrupted deploy ({})", d.context(), path.label());
    return Optional.of(d);
  }

  /** Runs the current phase's step once and moves the deploy on as the table says. */
  void step(Deploy d) {
    StepOutcome outcome;
    try {
      outcome =
          keepTurn(d)
              ? steps.get(d.phase).run(d)
              : new StepOutcome.Fault(
                  "this host's turn lease was taken over (it expired); going back into service");
    } catch (RuntimeException e) {
      outcome = new StepOutcome.Fault(String.valueOf(e.getMessage()));
    }
    Instant now = env.clock().instant();
    if (outcome instanceof StepOutcome.Wait wait) {
      d.wakeAt = wakeInTimeToRenew(d, now, now.plus(wait.delay()));
      return;
    }
    DeployTable.Transition next = DeployTable.next(d.path, d.phase, outcome.kind());
    String why = why(outcome);
    if (next.phase() == d.phase) {
      // A fault inside ROLLBACK or RESTORE: the step is tried again, with growing pauses.
      d.faultsInPhase++;
      // Short pauses: the host is out of service (or about to be) until this succeeds.
      Duration pause = min(env.backoff(d.faultsInPhase), env.timing().leaseTtl().dividedBy(4));
      logger.warn("{} {}; trying again in {}s", d.context(), why, pause.toSeconds());
      d.wakeAt = now.plus(pause);
      return;
    }
    env.listener()
        .phaseFinished(d.service.name(), d.phase, Duration.between(d.phaseStartedAt, now));
    if (why != null && d.cause == null) {
      d.cause = why;
    }
    if (next.end() != null) {
      if (next.end() == DeployTable.End.ROLLED_BACK && d.phase == Phase.RUN_ONCE) {
        // The fleet's one-time task failed from this image: condemned here too, and published.
        StateBook states = env.states();
        states.put(states.get(d.service.name()).withFailed(d.image.digest()));
      }
      finish(d, next.end());
      return;
    }
    if (next.phase() == Phase.ROLLBACK) {
      StateBook states = env.states();
      states.put(states.get(d.service.name()).withFailed(d.image.digest()));
      logger.warn("{} rolling back: {}", d.context(), why);
    } else if (next.phase() == Phase.RESTORE) {
      logger.warn(
          "{} restoring the previous container: {} (a fault: the digest is not condemned)",
          d.context(),
          why);
    }
    if (next.phase() == Phase.ROLLBACK || next.phase() == Phase.RESTORE) {
      d.restoreFrom = d.phase;
    }
    enter(d, next.phase());
  }

  /** Drops a deploy without an outcome (the instance is going away); its lease is released. */
  void abandon(Deploy d) {
    release(d);
  }

  private void enter(Deploy d, Phase phase) {
    Instant now = env.clock().instant();
    d.enter(phase, now);
    StateBook states = env.states();
    states.put(states.get(d.service.name()).inPhase(phase, d.image, d.path, now));
    logger.info("{} entering phase", d.context());
    // Entering START stop-first, the host has no container: start it before anything that can
    // wait on AWS (publishing retries for seconds while EC2 throttles); HEALTH publishes next.
    if (phase != Phase.START || d.path != DeployPath.STOP_FIRST) {
      presence.publish(d.service);
    }
  }

  private void finish(Deploy d, DeployTable.End end) {
    Instant now = env.clock().instant();
    Duration took = Duration.between(d.startedAt, now);
    release(d);
    StateBook states = env.states();
    String name = d.service.name();
    String error = end == DeployTable.End.SUCCESS ? null : d.cause;
    if (d.path == DeployPath.RESTART) {
      states.put(states.get(name).abandoned(now).withError(error));
    } else {
      states.put(states.get(name).finished(end.outcome(), now, took, error));
    }
    if (end == DeployTable.End.REFUSED) {
      states.put(states.get(name).withFailed(d.image.digest()));
      learnWhatTheFleetRuns(d);
    }
    d.end = end;
    presence.publish(d.service);
    presence.checkSoon(d.service, env.timing().inServiceCheck());
    if (d.path != DeployPath.RESTART) {
      env.listener().deployFinished(name, end.outcome(), took);
    }
    String ctx = "[service=" + name + ", digest=" + d.image.digest().shortForm() + "…, phase=IDLE]";
    if (end == DeployTable.End.SUCCESS) {
      logger.info(
          "{} {} succeeded in {}s",
          ctx,
          d.path == DeployPath.RESTART ? "restart" : "deploy",
          took.toSeconds());
    } else {
      logger.warn(
          "{} {} {} after {}s: {}",
          ctx,
          d.path == DeployPath.RESTART ? "restart" : "deploy",
          end == DeployTable.End.FAULT ? "failed on a fault" : end.outcome().label(),
          took.toSeconds(),
          d.cause);
    }
  }

  /**
   * Never empty (DESIGN 3): the pinned digest was refused, and nothing runs here. The digest most
   * peers publish as running becomes what this host restores to; the loop then starts it.
   */
  private void learnWhatTheFleetRuns(Deploy d) {
    boolean running =
        env.runtime().inspect(d.service.containerName()).map(ContainerInfo::running).orElse(false);
    if (running) {
      return;
    }
    try {
      Map<Digest, Long> votes =
          env.fleet().peersRunning(d.service).values().stream()
              .filter(digest -> !digest.equals(d.image.digest()))
              .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
      Optional<Digest> fleetDigest =
          votes.entrySet().stream()
              .max(
                  Comparator.<Map.Entry<Digest, Long>>comparingLong(Map.Entry::getValue)
                      .thenComparing(e -> e.getKey().value()))
              .map(Map.Entry::getKey);
      if (fleetDigest.isPresent()) {
        ImageRef image =
            new ImageRef(d.image.registry(), d.image.repository(), null, fleetDigest.get());
        StateBook states = env.states();
        states.put(states.get(d.service.name()).withLastKnownGood(image));
        logger.warn(
            "[service={}] nothing runs here and {} was refused: starting {}, which the fleet runs",
            d.service.name(),
            d.image.digest().shortForm(),
            fleetDigest.get().shortForm());
      }
    } catch (RuntimeException e) {
      logger.warn(
          "[service={}] nothing runs here and the peers' state cannot be read: {}",
          d.service.name(),
          e.getMessage());
    }
  }

  /**
   * Keeps the turn lease while the host is out of service: found again after a restart, renewed
   * when half its time is left. False when it was lost (it expired and a peer took the slot): the
   * host must go back into service, unless it is on its way there already.
   */
  private boolean keepTurn(Deploy d) {
    Instant now = env.clock().instant();
    Duration ttl = env.timing().leaseTtl();
    try {
      if (d.findLease) {
        d.findLease = false;
        d.lease =
            env.turns().holders(StepEnv.pool(d.service)).stream()
                .filter(l -> l.owner().equals(env.instanceId()))
                .findFirst()
                .orElse(null);
        if (d.lease != null) {
          // What the crashed agent posted is unknown: withdrawn, and waited out (TargetCalls).
          env.turns().clearIntent(d.lease);
          env.calls().withdrawnByRestart(d.service.name());
        }
      }
      if (d.lease == null || now.isBefore(d.lease.expiresAt().minus(ttl.dividedBy(2)))) {
        return true;
      }
      if (env.turns().renew(d.lease, ttl)) {
        d.lease =
            new TurnLease.Lease(
                d.lease.pool(),
                d.lease.slot(),
                d.lease.owner(),
                d.lease.generation(),
                now.plus(ttl));
        return true;
      }
    } catch (RuntimeException e) {
      // The lease table did not answer: the lease still holds until it expires; try next step.
      logger.warn("{} could not renew the turn lease: {}", d.context(), e.getMessage());
      return true;
    }
    logger.warn("{} lost the turn lease (generation {})", d.context(), d.lease.generation());
    d.lease = null;
    return d.phase == Phase.RESTORE || d.phase == Phase.ROLLBACK || d.phase == Phase.COMMIT;
  }

  /**
   * A host that holds a turn wakes before its lease needs renewing, whatever its step asked: the
   * lease is renewed only when a step runs ({@link #keepTurn}). A throttled RegisterTargets backs
   * off for up to minutes, longer than the lease lives; sleeping through it, a host out of service
   * let its lease expire and a peer took the slot (the fleet simulator at 5,000 hosts, one
   * registration bucket for the account: 573 hosts out of service with 500 allowed).
   */
  private Instant wakeInTimeToRenew(Deploy d, Instant now, Instant wake) {
    if (d.lease == null) {
      return wake;
    }
    Duration ttl = env.timing().leaseTtl();
    Instant renewBy = d.lease.expiresAt().minus(ttl.dividedBy(4));
    // A renewal the table did not answer leaves the old expiry: still wake a little later, not at
    // once in a loop, until the lease is renewed or lost.
    Instant soonest = now.plus(ttl.dividedBy(16));
    Instant latest = renewBy.isAfter(soonest) ? renewBy : soonest;
    return wake.isAfter(latest) ? latest : wake;
  }

  private void release(Deploy d) {
    if (d.lease != null) {
      try {
        env.turns().release(d.lease, d.turnFreeFrom == null ? Instant.EPOCH : d.turnFreeFrom);
      } catch (RuntimeException e) {
        logger.warn(
            "{} could not release the turn lease; it expires by itself: {}",
            d.context(),
            e.getMessage());
      }
      d.lease = null;
      d.turnFreeFrom = null;
    }
    env.calls().ended(d);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String why(StepOutcome outcome) {
    if (outcome instanceof StepOutcome.ImageBad bad) {
      return bad.why();
    }
    if (outcome instanceof StepOutcome.Fault fault) {
      return fault.why();
    }
    if (outcome instanceof StepOutcome.Refused refused) {
      return "refused: " + refused.why() + "; pin another digest to deploy again";
    }
    return null;
  }

  /** The outcome a finished deploy reports. */
  static DeployOutcome outcomeOf(Deploy d) {
    return d.end == null ? null : d.end.outcome();
  }
}
