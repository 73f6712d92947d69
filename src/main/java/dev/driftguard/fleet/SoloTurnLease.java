package dev.driftguard.fleet;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns for a host with no peers (local mode): nobody else asks, so a turn is always free, and a
 * one-time task is this host's to run. Kept in memory: after a restart a task that was running is
 * run again, which is what a lone developer's host wants.
 */
public final class SoloTurnLease implements TurnLease {
  private final Clock clock;
  private final Map<String, Run> runs = new HashMap<>();
  private long generation;

  public SoloTurnLease(Clock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized Optional<Lease> acquire(String pool, int slots, String owner, Duration ttl) {
    return Optional.of(new Lease(pool, 0, owner, ++generation, clock.instant().plus(ttl)));
  }

  @Override
  public boolean renew(Lease lease, Duration ttl) {
    return true;
  }

  @Override
  public void release(Lease lease, Instant freeFrom) {
    // A host alone has no peers to pace: its next turn is its own.
  }

  @Override
  public List<Lease> holders(String pool) {
    return List.of();
  }

  @Override
  public synchronized Run beginRun(String task, String owner, Duration ttl) {
    Run existing = runs.get(task);
    if (existing != null && existing.state().finished()) {
      return existing;
    }
    Run run = new Run(task, owner, ++generation, RunState.RUNNING, clock.instant().plus(ttl));
    runs.put(task, run);
    return run;
  }

  @Override
  public boolean renewRun(Run run, Duration ttl) {
    return true;
  }

  @Override
  public synchronized boolean finishRun(Run run, RunState result) {
    runs.put(
        run.task(), new Run(run.task(), run.owner(), run.generation(), result, run.expiresAt()));
    return true;
  }

  @Override
  public synchronized Optional<Run> run(String task) {
    return Optional.ofNullable(runs.get(task));
  }
}
