package dev.driftguard.testing;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link TurnLease} in memory, for unit tests of the code that takes turns. Same contract as the
 * DynamoDB adapter ({@code TurnLeaseContract}); one instance stands for the shared table, and
 * {@link #as(Clock)} gives a view of it through another host's clock, so tests can skew clocks.
 */
public final class InMemoryTurnLease implements TurnLease {
  private record Slot(String owner, long generation, Instant expiresAt, Posted intent) {
    Slot(String owner, long generation, Instant expiresAt) {
      this(owner, generation, expiresAt, null);
    }

    Slot withIntent(Posted posted) {
      return new Slot(owner, generation, expiresAt, posted);
    }

    boolean heldAs(Lease lease) {
      return lease.owner().equals(owner) && generation == lease.generation();
    }
  }

  /** A lease's intent: the call, its target, its number, and whether a peer's call carried it. */
  private record Posted(TargetCall kind, TargetId target, long number, boolean done) {}

  private record RunRecord(String owner, long generation, RunState state, Instant expiresAt) {}

  private record Shared(GroupSettings settings, Instant at) {}

  private record Census(List<FleetCoordinator.PeerTarget> targets, long number, Instant at) {}

  private final Object lock;
  private final Map<String, Map<Integer, Slot>> pools;
  private final Map<String, RunRecord> runs;
  private final Map<String, Shared> shared;
  private final Map<String, Census> censuses;
  private final Map<String, Long> reserved;
  private final long[] intentNumbers;
  private final Clock clock;
  private final Duration maxSkew;

  public InMemoryTurnLease(Clock clock, Duration maxSkew) {
    this(
        new Object(),
        new HashMap<>(),
        new HashMap<>(),
        new HashMap<>(),
        new HashMap<>(),
        new HashMap<>(),
        new long[1],
        clock,
        maxSkew);
  }

  private InMemoryTurnLease(
      Object lock,
      Map<String, Map<Integer, Slot>> pools,
      Map<String, RunRecord> runs,
      Map<String, Shared> shared,
      Map<String, Census> censuses,
      Map<String, Long> reserved,
      long[] intentNumbers,
      Clock clock,
      Duration maxSkew) {
    this.lock = lock;
    this.pools = pools;
    this.runs = runs;
    this.shared = shared;
    this.censuses = censuses;
    this.reserved = reserved;
    this.intentNumbers = intentNumbers;
    this.clock = clock;
    this.maxSkew = maxSkew;
  }

  /** The same leases, seen by a host whose clock is {@code clock}. */
  public InMemoryTurnLease as(Clock clock) {
    return new InMemoryTurnLease(
        lock, pools, runs, shared, censuses, reserved, intentNumbers, clock, maxSkew);
  }

  @Override
  public Optional<GroupSettings> sharedSettings(String pool, Instant notBefore) {
    synchronized (lock) {
      Shared s = shared.get(pool);
      return s == null || s.at().isBefore(notBefore) ? Optional.empty() : Optional.of(s.settings());
    }
  }

  @Override
  public void shareSettings(String pool, GroupSettings settings) {
    synchronized (lock) {
      shared.put(pool, new Shared(settings, clock.instant()));
    }
  }

  @Override
  public long censusMark(String pool) {
    synchronized (lock) {
      return reserved.getOrDefault(pool, 0L);
    }
  }

  @Override
  public Optional<List<FleetCoordinator.PeerTarget>> sharedCensus(
      String pool, long mark, Instant notBefore) {
    synchronized (lock) {
      Census c = censuses.get(pool);
      if (c == null) {
        return Optional.empty();
      }
      boolean afterMark = mark != NO_CENSUS && c.number() > mark;
      boolean afterTime = c.at().isAfter(notBefore.plus(maxSkew));
      return afterMark || afterTime ? Optional.of(c.targets()) : Optional.empty();
    }
  }

  @Override
  public long reserveCensus(String pool) {
    synchronized (lock) {
      return reserved.merge(pool, 1L, Long::sum);
    }
  }

  @Override
  public void shareCensus(String pool, long number, List<FleetCoordinator.PeerTarget> targets) {
    synchronized (lock) {
      Census c = censuses.get(pool);
      if (number != NO_CENSUS && (c == null || c.number() < number)) {
        censuses.put(pool, new Census(List.copyOf(targets), number, clock.instant()));
      }
    }
  }

  @Override
  public Optional<Lease> acquire(String pool, int slots, String owner, Duration ttl) {
    synchronized (lock) {
      Instant now = clock.instant();
      Instant cutoff = now.minus(maxSkew);
      Map<Integer, Slot> all = pools.computeIfAbsent(pool, k -> new HashMap<>());
      int held = 0;
      for (var e : all.entrySet()) {
        Slot s = e.getValue();
        if (owner.equals(s.owner())) {
          all.put(e.getKey(), new Slot(owner, s.generation(), now.plus(ttl), s.intent()));
          return Optional.of(new Lease(pool, e.getKey(), owner, s.generation(), now.plus(ttl)));
        }
        if (taken(s, now, cutoff)) {
          held++;
        }
      }
      if (held >= slots) {
        return Optional.empty();
      }
      for (int slot = 0; slot < slots; slot++) {
        Slot s = all.get(slot);
        if (s == null || !taken(s, now, cutoff)) {
          long generation = s == null ? 1 : s.generation() + 1;
          all.put(slot, new Slot(owner, generation, now.plus(ttl)));
          return Optional.of(new Lease(pool, slot, owner, generation, now.plus(ttl)));
        }
      }
      return Optional.empty();
    }
  }

  @Override
  public boolean renew(Lease lease, Duration ttl) {
    synchronized (lock) {
      Map<Integer, Slot> all = pools.getOrDefault(lease.pool(), Map.of());
      Slot s = all.get(lease.slot());
      if (s == null || !lease.owner().equals(s.owner()) || s.generation() != lease.generation()) {
        return false;
      }
      all.put(
          lease.slot(), new Slot(s.owner(), s.generation(), clock.instant().plus(ttl), s.intent()));
      return true;
    }
  }

  @Override
  public void release(Lease lease, Instant freeFrom) {
    synchronized (lock) {
      Map<Integer, Slot> all = pools.getOrDefault(lease.pool(), Map.of());
      Slot s = all.get(lease.slot());
      if (s != null && lease.owner().equals(s.owner()) && s.generation() == lease.generation()) {
        all.put(lease.slot(), new Slot(null, s.generation(), freeFrom));
      }
    }
  }

  @Override
  public List<Lease> holders(String pool) {
    synchronized (lock) {
      Instant now = clock.instant();
      List<Lease> leases = new ArrayList<>();
      pools
          .getOrDefault(pool, Map.of())
          .forEach(
              (slot, s) -> {
                if (s.owner() != null && !s.expiresAt().isBefore(now)) {
                  leases.add(new Lease(pool, slot, s.owner(), s.generation(), s.expiresAt()));
                }
              });
      leases.sort(Comparator.comparingInt(Lease::slot));
      return List.copyOf(leases);
    }
  }

  @Override
  public Run beginRun(String task, String owner, Duration ttl) {
    synchronized (lock) {
      Instant now = clock.instant();
      RunRecord r = runs.get(task);
      if (r == null
          || (r.state() == RunState.RUNNING
              && !r.owner().equals(owner)
              && r.expiresAt().isBefore(now.minus(maxSkew)))) {
        long generation = r == null ? 1 : r.generation() + 1;
        runs.put(task, new RunRecord(owner, generation, RunState.RUNNING, now.plus(ttl)));
      } else if (r.state() == RunState.RUNNING && r.owner().equals(owner)) {
        runs.put(task, new RunRecord(owner, r.generation(), RunState.RUNNING, now.plus(ttl)));
      }
      return toRun(task, runs.get(task));
    }
  }

  @Override
  public boolean renewRun(Run run, Duration ttl) {
    synchronized (lock) {
      RunRecord r = runs.get(run.task());
      if (!mine(r, run)) {
        return false;
      }
      runs.put(
          run.task(),
          new RunRecord(r.owner(), r.generation(), RunState.RUNNING, clock.instant().plus(ttl)));
      return true;
    }
  }

  @Override
  public boolean finishRun(Run run, RunState result) {
    if (!result.finished()) {
      throw new IllegalArgumentException("a result is SUCCEEDED or FAILED, got " + result);
    }
    synchronized (lock) {
      RunRecord r = runs.get(run.task());
      if (!mine(r, run)) {
        return false;
      }
      runs.put(run.task(), new RunRecord(r.owner(), r.generation(), result, r.expiresAt()));
      return true;
    }
  }

  @Override
  public Optional<Run> run(String task) {
    synchronized (lock) {
      RunRecord r = runs.get(task);
      return r == null ? Optional.empty() : Optional.of(toRun(task, r));
    }
  }

  private static boolean mine(RunRecord r, Run run) {
    return r != null
        && r.state() == RunState.RUNNING
        && r.owner().equals(run.owner())
        && r.generation() == run.generation();
  }

  @Override
  public boolean sharesIntents() {
    return true;
  }

  @Override
  public long postIntent(Lease lease, TargetCall kind, TargetId target) {
    synchronized (lock) {
      Slot s = slot(lease);
      if (s == null || !s.heldAs(lease)) {
        return NO_INTENT;
      }
      long number = ++intentNumbers[0];
      slots(lease).put(lease.slot(), s.withIntent(new Posted(kind, target, number, false)));
      return number;
    }
  }

  @Override
  public List<Intent> pendingIntents(String pool, TargetCall kind) {
    synchronized (lock) {
      Instant now = clock.instant();
      List<Intent> pending = new ArrayList<>();
      pools
          .getOrDefault(pool, Map.of())
          .forEach(
              (slot, s) -> {
                Posted p = s.intent();
                if (s.owner() != null
                    && !s.expiresAt().isBefore(now)
                    && p != null
                    && p.kind() == kind
                    && !p.done()) {
                  Lease held = new Lease(pool, slot, s.owner(), s.generation(), s.expiresAt());
                  pending.add(new Intent(held, kind, p.target(), p.number()));
                }
              });
      return List.copyOf(pending);
    }
  }

  @Override
  public void markDone(Intent intent) {
    synchronized (lock) {
      Slot s = slot(intent.lease());
      if (s != null
          && s.heldAs(intent.lease())
          && s.intent() != null
          && s.intent().number() == intent.number()) {
        Posted p = s.intent();
        slots(intent.lease())
            .put(
                intent.lease().slot(),
                s.withIntent(new Posted(p.kind(), p.target(), p.number(), true)));
      }
    }
  }

  @Override
  public boolean settleIntent(Lease lease, long number) {
    synchronized (lock) {
      Slot s = slot(lease);
      if (s == null || !s.heldAs(lease) || s.intent() == null || s.intent().number() != number) {
        return false;
      }
      if (s.intent().done()) {
        return true;
      }
      slots(lease).put(lease.slot(), s.withIntent(null));
      return false;
    }
  }

  @Override
  public void clearIntent(Lease lease) {
    synchronized (lock) {
      Slot s = slot(lease);
      if (s != null && s.heldAs(lease)) {
        slots(lease).put(lease.slot(), s.withIntent(null));
      }
    }
  }

  private Map<Integer, Slot> slots(Lease lease) {
    return pools.computeIfAbsent(lease.pool(), k -> new HashMap<>());
  }

  private Slot slot(Lease lease) {
    return slots(lease).get(lease.slot());
  }

  /** Held and not expired beyond the skew, or released and resting until after now. */
  private static boolean taken(Slot s, Instant now, Instant cutoff) {
    return s.owner() != null ? !s.expiresAt().isBefore(cutoff) : s.expiresAt().isAfter(now);
  }

  private static Run toRun(String task, RunRecord r) {
    return new Run(task, r.owner(), r.generation(), r.state(), r.expiresAt());
  }
}
