package dev.driftguard.testing;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A {@link TurnLease} that hands every call to another one: a test overrides the calls it wants to
 * fail or watch, and the table underneath keeps its contract for the rest.
 */
public class ForwardingTurnLease implements TurnLease {
  private final TurnLease table;

  public ForwardingTurnLease(TurnLease table) {
    this.table = table;
  }

  @Override
  public Optional<Lease> acquire(String pool, int slots, String owner, Duration ttl) {
    return table.acquire(pool, slots, owner, ttl);
  }

  @Override
  public boolean renew(Lease lease, Duration ttl) {
    return table.renew(lease, ttl);
  }

  @Override
  public void release(Lease lease, Instant freeFrom) {
    table.release(lease, freeFrom);
  }

  @Override
  public List<Lease> holders(String pool) {
    return table.holders(pool);
  }

  @Override
  public boolean sharesIntents() {
    return table.sharesIntents();
  }

  @Override
  public long postIntent(Lease lease, TargetCall kind, TargetId target) {
    return table.postIntent(lease, kind, target);
  }

  @Override
  public List<Intent> pendingIntents(String pool, TargetCall kind) {
    return table.pendingIntents(pool, kind);
  }

  @Override
  public void markDone(Intent intent) {
    table.markDone(intent);
  }

  @Override
  public boolean settleIntent(Lease lease, long number) {
    return table.settleIntent(lease, number);
  }

  @Override
  public void clearIntent(Lease lease) {
    table.clearIntent(lease);
  }

  @Override
  public Run beginRun(String task, String owner, Duration ttl) {
    return table.beginRun(task, owner, ttl);
  }

  @Override
  public boolean renewRun(Run run, Duration ttl) {
    return table.renewRun(run, ttl);
  }

  @Override
  public boolean finishRun(Run run, RunState result) {
    return table.finishRun(run, result);
  }

  @Override
  public Optional<Run> run(String task) {
    return table.run(task);
  }

  @Override
  public Optional<GroupSettings> sharedSettings(String pool, Instant notBefore) {
    return table.sharedSettings(pool, notBefore);
  }

  @Override
  public void shareSettings(String pool, GroupSettings settings) {
    table.shareSettings(pool, settings);
  }

  @Override
  public long censusMark(String pool) {
    return table.censusMark(pool);
  }

  @Override
  public Optional<List<FleetCoordinator.PeerTarget>> sharedCensus(
      String pool, long mark, Instant notBefore) {
    return table.sharedCensus(pool, mark, notBefore);
  }

  @Override
  public long reserveCensus(String pool) {
    return table.reserveCensus(pool);
  }

  @Override
  public void shareCensus(String pool, long number, List<FleetCoordinator.PeerTarget> targets) {
    table.shareCensus(pool, number, targets);
  }
}
