package dev.driftguard.reconcile;

import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * One deploy under way, in memory: what it deploys, where it stands, and the scratch its current
 * step keeps between polls. Only the phase, target and path are saved (the state file); after a
 * restart the rest is rebuilt from what the host shows, and the saved phase's step runs afresh
 * (every step is idempotent).
 */
final class Deploy {
  final ServiceSpec service;
  final ImageRef image;
  final DeployPath path;
  final Set<DriftReason> reasons;
  final Instant startedAt;

  /** The last-resort deploy of a refused digest on a host with nothing else to run. */
  final boolean lastResort;

  /** The host port the serving (old) container is registered on. */
  int oldPort;

  /** start-first: the host port the new container is published on. */
  int newPort;

  /** Rendered once the image is pulled; rendered again after a restart (secrets are not saved). */
  RunSpec spec;

  Phase phase;
  Instant phaseStartedAt;

  /** When the loop should run this deploy's step again. */
  Instant wakeAt;

  /** Faults in a row inside ROLLBACK or RESTORE, for their retry backoff. */
  int faultsInPhase;

  /** Why the deploy went to ROLLBACK or RESTORE: the error it ends with. */
  String cause;

  /** When this host's target left service, for driftguard_out_of_service_seconds. */
  Instant outOfServiceSince;

  /**
   * Marks in the order of the group's shared census ({@link StepEnv#censusMark}), oldest first,
   * noted as the deploy began and while it waits at the gate: with a turn won, a census read after
   * the oldest one still young enough may stand in for this host's own read (GateStep).
   */
  final ArrayDeque<CensusNote> censusNotes = new ArrayDeque<>();

  /**
   * DEREGISTER, stop-first: the census's mark noted right after leaving service; a census read
   * after it shows this host gone (ELBv2's own lag aside).
   */
  long markAfterLeaving = TurnLease.NO_CENSUS;

  /** A mark in the census's order and when it was noted, on this host's clock. */
  record CensusNote(long mark, Instant at) {}

  /** The turn lease this host holds to be out of service (released on every end); null if none. */
  TurnLease.Lease lease;

  /**
   * When the lease's slot may be taken again once given back: a cycle after it was taken, so the
   * pool's turns start no faster than its registration budget allows ({@link
   * DeployTiming#turnSpacing}); null (free at once) for a worker, or a lease found after a restart.
   */
  Instant turnFreeFrom;

  /** Resumed after a restart: the lease the crashed agent held is to be found again. */
  boolean findLease;

  /** How the deploy ended; null while it runs. */
  DeployTable.End end;

  /** The phase whose fault or verdict led to ROLLBACK or RESTORE; null when resumed there. */
  Phase restoreFrom;

  // Scratch of the current phase, reset on every phase change.
  /** The step did its one-time action (deregister, container swap, ...) and now polls. */
  boolean acted;

  /** REGISTER, ROLLBACK, RESTORE: the target was registered in this phase. */
  boolean registered;

  /**
   * DEREGISTER, stop-first: when the capacity floor is read again after leaving; null once read (or
   * when there is none to read).
   */
  Instant floorCheckAt;

  /** GATE: a turn went back for lack of room; the next try waits until then. */
  Instant roomlessUntil;

  /** DEREGISTER: the group's deregistration delay was read, so the drain ends with it. */
  boolean drainDelayKnown;

  /** When this phase's RegisterTargets succeeded; null before. */
  Instant registeredAt;

  /**
   * REGISTER, ROLLBACK, RESTORE: the census mark taken after this phase's last read of the target's
   * state; the next read takes a census read after it ({@link StepEnv#registeredState}).
   */
  long stateReadMark = TurnLease.NO_CENSUS;

  /** The group's health checks as read for this phase's registration; null before. */
  TargetHealthCheck healthCheck;

  /** DEREGISTER: until when the target drains whatever a read says (the group's delay). */
  Instant drainingUntil;

  /** Deadline of the current poll (drain timeout, health deadline, registration deadline). */
  Instant deadline;

  /** HEALTH: passes in a row; the engine's restart count when the check began. */
  int passes;

  Integer restartsAtStart;

  /** REGISTER: since when the target has been failing; the last thing heard about it. */
  Instant badSince;

  String lastDetail;

  Deploy(
      ServiceSpec service,
      ImageRef image,
      DeployPath path,
      Set<DriftReason> reasons,
      Instant startedAt,
      boolean lastResort) {
    this.service = service;
    this.image = image;
    this.path = path;
    this.reasons = Set.copyOf(reasons);
    this.startedAt = startedAt;
    this.lastResort = lastResort;
  }

  /**
   * The intent this deploy posted on its turn lease for its next registration call and has not
   * settled yet ({@link TargetCalls}); {@link TurnLease#NO_INTENT} when none. Kept across phases:
   * an intent is settled, or withdrawn with the lease, never forgotten.
   */
  long intentNumber = TurnLease.NO_INTENT;

  /**
   * How many turns the pool had when GATE won this deploy's ({@link TargetCalls}: with one, no peer
   * is out at the same time to make the call with); 0 when not known (a resumed deploy).
   */
  int turnSlots;

  /** The call {@link #intentNumber} announces. */
  TargetCall intentCall;

  /** When this host settles {@link #intentNumber} and calls itself if no peer's call carried it. */
  Instant intentSettleAt;

  /** Enters {@code next}: the scratch of the phase left behind is dropped. */
  void enter(Phase next, Instant now) {
    phase = next;
    phaseStartedAt = now;
    wakeAt = now;
    acted = false;
    registered = false;
    floorCheckAt = null;
    roomlessUntil = null;
    drainDelayKnown = false;
    registeredAt = null;
    stateReadMark = TurnLease.NO_CENSUS;
    healthCheck = null;
    drainingUntil = null;
    deadline = null;
    passes = 0;
    restartsAtStart = null;
    badSince = null;
    lastDetail = null;
    faultsInPhase = 0;
  }

  /** The container this deploy starts and checks: {@code -next} for start-first. */
  String newContainerName() {
    return path == DeployPath.START_FIRST ? service.nextContainerName() : service.containerName();
  }

  /** {@code [service=web, digest=sha256:ab12…, phase=HEALTH]}, for log lines. */
  String context() {
    return "[service="
        + service.name()
        + ", digest="
        + image.digest().shortForm()
        + "…, phase="
        + phase.name()
        + "]";
  }
}
