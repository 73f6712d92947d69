package dev.driftguard.fleet;

import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Port: turn-taking on a strongly consistent compare-and-set (DESIGN 4, capacity floor). A pool
 * (one per target group, or per service for workers) has {@code slots} leases; a host leaves
 * service only while it holds one. Every lease has an owner, a fencing generation, an expiry,
 * renewal while the deploy runs and release on every exit path; an expired lease is taken over by
 * exactly one host. The same primitive elects the one host that runs a rollout's one-time task
 * ({@link #beginRun}).
 *
 * <p>Time: the expiry is written from the writer's clock. A host takes over an expired lease only
 * once its own clock is past the expiry by the configured maximum skew between two hosts' clocks,
 * so a holder whose clock is behind is never robbed of a lease it still renews.
 *
 * <p>A read or write that AWS refuses (throttling, access, a missing table) throws {@link
 * FleetCoordinationException}, whose {@code throttled()} asks for a back-off; losing a race is
 * never an exception: {@code acquire} answers empty and {@code renew} false.
 *
 * <p>Contract: {@code TurnLeaseContract} (src/test), run against the in-memory fake and against the
 * DynamoDB adapter through the SDK.
 */
public interface TurnLease {

  /**
   * Takes one of the pool's {@code slots} leases for {@code owner}, or the one {@code owner} holds
   * already (an agent that restarted mid-deploy finds its lease again, renewed).
   *
   * @return the lease, or empty when {@code slots} leases are held (or the race was lost)
   */
  Optional<Lease> acquire(String pool, int slots, String owner, Duration ttl);

  /**
   * Extends {@code lease} to now + {@code ttl}, if it is still {@code lease.generation()} of its
   * owner.
   *
   * @return false when the lease was lost: taken over (the fencing generation moved on) or released
   */
  boolean renew(Lease lease, Duration ttl);

  /**
   * Gives the lease back, its slot free at once. Idempotent; nothing when the generation moved on.
   */
  default void release(Lease lease) {
    release(lease, Instant.EPOCH);
  }

  /**
   * Gives the lease back, its slot resting until {@code freeFrom} (this host's clock): held by
   * nobody, it counts against {@code slots} in {@link #acquire} and is taken by nobody before then,
   * by the taker's clock. This paces the starts of turns (a pool of {@code slots} whose slots each
   * rest a cycle after being taken starts at most {@code slots} turns a cycle), which keeps a
   * rollout's ELBv2 registration calls inside a budget. A rate, not a safety bound: the clocks'
   * skew moves one slot's rest by at most the skew, and a host that dies holding a lease frees its
   * slot by expiry as before. Idempotent; nothing when the generation moved on. A {@code freeFrom}
   * already past frees the slot at once.
   */
  void release(Lease lease, Instant freeFrom);

  /**
   * Leases of the pool that are held and not expired, by slot; for status and rollout-status. A
   * resting slot (released with a {@code freeFrom} to come) is held by nobody and is not listed.
   */
  List<Lease> holders(String pool);

  /**
   * Starts the one-time task {@code task} (e.g. {@code web_staging@sha256:...}) on {@code owner},
   * unless it has a runner or a result: the first caller wins; a runner whose record expired (plus
   * the skew) is replaced by the next caller.
   *
   * @return the task's record after the call: {@link RunState#RUNNING} with {@code owner} means
   *     this caller must run it now (and {@link #renewRun renew} while it runs)
   */
  Run beginRun(String task, String owner, Duration ttl);

  /** Extends a running task's record; false when it is no longer this runner's. */
  boolean renewRun(Run run, Duration ttl);

  /**
   * Records the task's result ({@link RunState#SUCCEEDED} or {@link RunState#FAILED}), once.
   *
   * @return false when the record is no longer this runner's (it expired and another took over)
   */
  boolean finishRun(Run run, RunState result);

  /** The task's record, if it was ever begun. */
  Optional<Run> run(String task);

  /**
   * The target group's settings as a peer read and {@link #shareSettings shared} them for {@code
   * pool}, if that was at or after {@code notBefore}. A port without a shared table (a host alone)
   * has none.
   */
  default Optional<GroupSettings> sharedSettings(String pool, Instant notBefore) {
    return Optional.empty();
  }

  /** Shares the group's settings, as read now from ELBv2, with the pool's other hosts. */
  default void shareSettings(String pool, GroupSettings settings) {}

  /**
   * Where the pool's census stands now, in its own order rather than any host's clock: a census
   * {@linkplain #sharedCensus shared} with a number above this mark was read from ELBv2 after this
   * call began (its number was {@linkplain #reserveCensus reserved} before that read). {@link
   * #NO_CENSUS} when this port shares none. Strongly consistent.
   */
  default long censusMark(String pool) {
    return NO_CENSUS;
  }

  /**
   * The target group's every target as a peer read it and shared it for {@code pool}, if that read
   * surely began after {@code mark} was taken or after {@code notBefore}: its number is above the
   * mark (see {@link #censusMark}; holds however far apart the hosts' clocks are), or the writer's
   * time is after {@code notBefore} on this host's clock by more than the maximum skew between two
   * hosts' clocks (the bound the leases' takeover rests on too). Strongly consistent. A port
   * without a shared table (a host alone) has none.
   */
  default Optional<List<FleetCoordinator.PeerTarget>> sharedCensus(
      String pool, long mark, Instant notBefore) {
    return Optional.empty();
  }

  /**
   * Takes the pool's next census number, before reading ELBv2 to share what it shows: every mark
   * taken before this call is below it. {@link #NO_CENSUS} when this port shares none, or when a
   * peer took the number at the same moment (then that peer's read, begun after any mark taken
   * before this call, is coming).
   */
  default long reserveCensus(String pool) {
    return NO_CENSUS;
  }

  /**
   * Shares the group's targets, read from ELBv2 after {@link #reserveCensus} gave {@code number},
   * with the pool's other hosts; a census with a higher number already shared is kept.
   */
  default void shareCensus(String pool, long number, List<FleetCoordinator.PeerTarget> targets) {}

  /** No census number: none is shared, or none could be taken. */
  long NO_CENSUS = -1;

  /**
   * Posts on {@code lease} that its holder is about to make {@code kind} for its target {@code
   * target}, so that a peer making the same call meanwhile puts the target in its own ({@link
   * #pendingIntents}, {@link #markDone}): one ELBv2 call then serves several turns, where every
   * turn made two calls of the account's one registration bucket (4/s). Replaces the lease's
   * previous intent. The holder then waits a moment and {@link #settleIntent settles} it.
   *
   * @return the intent's number, unique to it; {@link #NO_INTENT} when this port shares none (a
   *     host alone) or the lease is no longer {@code lease.generation()} of its owner
   */
  default long postIntent(Lease lease, TargetCall kind, TargetId target) {
    return NO_INTENT;
  }

  /**
   * Intents of {@code kind} posted in {@code pool} on leases held and not expired (this host's
   * clock), neither settled nor marked done. Strongly consistent.
   */
  default List<Intent> pendingIntents(String pool, TargetCall kind) {
    return List.of();
  }

  /**
   * Marks {@code intent} done, after an ELBv2 call that carried its target returned; nothing when
   * its holder settled or replaced it meanwhile (that holder calls for itself: the same call twice
   * is harmless, ELBv2's calls are idempotent).
   */
  default void markDone(Intent intent) {}

  /**
   * Ends intent {@code number} of {@code lease}: true when a peer's call carried it (marked done),
   * false when it is withdrawn undone (or gone), and its holder must call for itself. After either,
   * no peer reads it as pending; a peer that read it before may still have its call land, within
   * that call's deadline.
   */
  default boolean settleIntent(Lease lease, long number) {
    return false;
  }

  /**
   * Withdraws whatever intent {@code lease} carries, done or not: an agent that restarted
   * mid-deploy does not know what its predecessor posted.
   */
  default void clearIntent(Lease lease) {}

  /** Whether this port shares intents ({@link #postIntent}): a table all the pool's hosts use. */
  default boolean sharesIntents() {
    return false;
  }

  /** No intent: none is shared, or it could not be posted. */
  long NO_INTENT = -1;

  /** An intent as a peer reads it: whose lease carries it, the call, the target and its number. */
  record Intent(Lease lease, TargetCall kind, TargetId target, long number) {
    public Intent {
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(target, "target");
    }
  }

  /**
   * One slot's lease.
   *
   * @param generation the fencing token: grows by one with every change of holder, never reused
   * @param expiresAt from the holder's clock at its last acquire or renewal
   */
  record Lease(String pool, int slot, String owner, long generation, Instant expiresAt) {
    public Lease {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(owner, "owner");
      Objects.requireNonNull(expiresAt, "expiresAt");
      if (slot < 0) {
        throw new IllegalArgumentException("slot must be >= 0, got " + slot);
      }
    }
  }

  /** States of a one-time task. */
  enum RunState {
    RUNNING,
    SUCCEEDED,
    FAILED;

    public boolean finished() {
      return this != RUNNING;
    }
  }

  /** A one-time task's record: who runs (or ran) it, with which generation, and how it ended. */
  record Run(String task, String owner, long generation, RunState state, Instant expiresAt) {
    public Run {
      Objects.requireNonNull(task, "task");
      Objects.requireNonNull(owner, "owner");
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** Whether {@code host} must run the task now. */
    public boolean runBy(String host) {
      return state == RunState.RUNNING && owner.equals(host);
    }
  }
}
