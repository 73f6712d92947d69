package dev.driftguard.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.fleet.TurnLease.Intent;
import dev.driftguard.fleet.TurnLease.Lease;
import dev.driftguard.fleet.TurnLease.Run;
import dev.driftguard.fleet.TurnLease.RunState;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetId;
import dev.driftguard.model.TargetState;
import dev.driftguard.testing.FakeTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TurnLease} must do, run against each implementation (the in-memory fake and the
 * DynamoDB adapter through the SDK), as docker-java's TCK is run against every transport. Hosts are
 * views of one shared store through their own clocks ({@link #lease(Clock)}); the maximum skew is
 * {@link #MAX_SKEW}.
 */
public abstract class TurnLeaseContract {
  protected static final Duration MAX_SKEW = Duration.ofSeconds(5);
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final String POOL =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1";

  protected final FakeTime time = FakeTime.startingAt("2026-01-01T00:00:00Z");

  /** The store as seen by a host whose clock is {@code clock}; every call shares one store. */
  protected abstract TurnLease lease(Clock clock);

  private TurnLease host() {
    return lease(time);
  }

  /** A host whose clock is {@code skew} ahead of true time. */
  /** The shared census by its number alone: the writer's time never passes a day ahead. */
  private Optional<List<FleetCoordinator.PeerTarget>> byMark(
      TurnLease lease, String pool, long mark) {
    return lease.sharedCensus(pool, mark, time.instant().plus(Duration.ofDays(1)));
  }

  private TurnLease skewed(Duration skew) {
    return lease(Clock.offset(time, skew));
  }

  @Test
  void anIntent_isPendingForPeers_untilAPeerMarksItDone_andThenSettlesAsDone() {
    Lease a = host().acquire(POOL, 3, "i-a", TTL).orElseThrow();
    Lease b = host().acquire(POOL, 3, "i-b", TTL).orElseThrow();
    long na = host().postIntent(a, TargetCall.DEREGISTER, new TargetId("i-a", 8080));
    long nb = host().postIntent(b, TargetCall.REGISTER, new TargetId("i-b", 8081));
    assertThat(na).isNotEqualTo(TurnLease.NO_INTENT);

    List<Intent> pending = host().pendingIntents(POOL, TargetCall.DEREGISTER);
    assertThat(pending)
        .extracting(Intent::target, Intent::number)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(new TargetId("i-a", 8080), na));
    assertThat(host().pendingIntents(POOL, TargetCall.REGISTER))
        .extracting(Intent::target)
        .containsExactly(new TargetId("i-b", 8081));

    host().markDone(pending.get(0));

    assertThat(host().pendingIntents(POOL, TargetCall.DEREGISTER)).isEmpty();
    assertThat(host().settleIntent(a, na)).isTrue();
    assertThat(host().settleIntent(b, nb)).isFalse();
    assertThat(host().pendingIntents(POOL, TargetCall.REGISTER)).isEmpty();
  }

  @Test
  void aWithdrawnIntent_isNotMarkedDoneByALateCaller_andIsPendingNoMore() {
    Lease a = host().acquire(POOL, 3, "i-a", TTL).orElseThrow();
    long first = host().postIntent(a, TargetCall.DEREGISTER, new TargetId("i-a", 8080));
    Intent readByACaller = host().pendingIntents(POOL, TargetCall.DEREGISTER).get(0);

    assertThat(host().settleIntent(a, first)).isFalse();
    host().markDone(readByACaller);

    assertThat(host().pendingIntents(POOL, TargetCall.DEREGISTER)).isEmpty();
    // A new intent is not taken for done by the caller's mark of the old one.
    time.advance(Duration.ofSeconds(1));
    long second = host().postIntent(a, TargetCall.REGISTER, new TargetId("i-a", 8080));
    host().markDone(readByACaller);
    assertThat(host().pendingIntents(POOL, TargetCall.REGISTER)).hasSize(1);
    assertThat(host().settleIntent(a, second)).isFalse();
  }

  @Test
  void anIntent_goesWithItsLease_releasedTakenOverOrCleared() {
    Lease a = host().acquire(POOL, 2, "i-a", TTL).orElseThrow();
    host().postIntent(a, TargetCall.DEREGISTER, new TargetId("i-a", 8080));
    host().release(a);
    assertThat(host().pendingIntents(POOL, TargetCall.DEREGISTER)).isEmpty();
    assertThat(host().postIntent(a, TargetCall.DEREGISTER, new TargetId("i-a", 8080)))
        .isEqualTo(TurnLease.NO_INTENT);

    Lease b = host().acquire(POOL, 1, "i-b", TTL).orElseThrow();
    host().postIntent(b, TargetCall.DEREGISTER, new TargetId("i-b", 8080));
    host().clearIntent(b);
    assertThat(host().pendingIntents(POOL, TargetCall.DEREGISTER)).isEmpty();

    host().postIntent(b, TargetCall.DEREGISTER, new TargetId("i-b", 8080));
    time.advance(TTL.plus(MAX_SKEW).plusSeconds(1));
    // Expired: its holder is presumed dead, and its intent is nobody's to carry out.
    assertThat(host().pendingIntents(POOL, TargetCall.DEREGISTER)).isEmpty();
    Lease c = host().acquire(POOL, 1, "i-c", TTL).orElseThrow();
    assertThat(c.slot()).isEqualTo(b.slot());
    assertThat(host().pendingIntents(POOL, TargetCall.DEREGISTER)).isEmpty();
  }

  @Test
  void sharedSettings_areWhatAPeerShared_untilTheyAreOlderThanAsked() {
    GroupSettings settings =
        new GroupSettings(Duration.ofSeconds(30), new TargetHealthCheck(Duration.ofSeconds(5), 2));
    assertThat(host().sharedSettings(POOL, time.instant().minusSeconds(60))).isEmpty();

    skewed(Duration.ZERO).shareSettings(POOL, settings);
    time.advance(Duration.ofSeconds(10));

    assertThat(host().sharedSettings(POOL, time.instant().minusSeconds(60))).contains(settings);
    assertThat(host().sharedSettings(POOL, time.instant().minusSeconds(5))).isEmpty();
    assertThat(host().sharedSettings(POOL + "-other", time.instant().minusSeconds(60))).isEmpty();
  }

  @Test
  void sharedCensus_isWhatAPeerShared_onlyWhenItsNumberWasTakenAfterTheMark() {
    List<FleetCoordinator.PeerTarget> targets =
        List.of(
            new FleetCoordinator.PeerTarget("i-0a", 8080, TargetState.HEALTHY),
            new FleetCoordinator.PeerTarget("i-0b", 8080, TargetState.DRAINING),
            new FleetCoordinator.PeerTarget("i-0b", 8081, TargetState.INITIAL));
    long before = host().censusMark(POOL);
    assertThat(byMark(host(), POOL, before)).isEmpty();

    // A peer whose clock is far behind: the order is the counter's, not the clocks'.
    TurnLease peer = skewed(Duration.ofMinutes(-10));
    long number = peer.reserveCensus(POOL);
    long during = host().censusMark(POOL); // taken while the peer reads ELBv2
    peer.shareCensus(POOL, number, targets);

    assertThat(number).isGreaterThan(before);
    assertThat(byMark(host(), POOL, before)).contains(targets);
    // A mark taken after the number was reserved: that read may have begun before it.
    assertThat(byMark(host(), POOL, during)).isEmpty();
    assertThat(byMark(host(), POOL, TurnLease.NO_CENSUS)).isEmpty();
    assertThat(byMark(host(), POOL + "-other", before)).isEmpty();
  }

  @Test
  void sharedCensus_alsoWhenTheWritersTimeIsSurelyAfterTheTimeAsked() {
    List<FleetCoordinator.PeerTarget> targets =
        List.of(new FleetCoordinator.PeerTarget("i-0a", 8080, TargetState.HEALTHY));
    Instant before = time.instant();
    long mark = host().censusMark(POOL);
    TurnLease writer = skewed(Duration.ZERO);
    writer.shareCensus(POOL, writer.reserveCensus(POOL), targets);
    long after = host().censusMark(POOL);
    time.advance(Duration.ofSeconds(10));

    assertThat(host().sharedCensus(POOL, after, before.minus(MAX_SKEW).minusMillis(1)))
        .contains(targets);
    // Written at "before" by the writer's clock: not surely after "before - MAX_SKEW" here.
    assertThat(host().sharedCensus(POOL, after, before.minus(MAX_SKEW))).isEmpty();
    assertThat(host().sharedCensus(POOL, TurnLease.NO_CENSUS, before)).isEmpty();
    // Either is enough: the mark alone.
    assertThat(host().sharedCensus(POOL, mark, before)).contains(targets);
  }

  @Test
  void shareCensus_keepsTheCensusOfTheLaterNumber_whicheverLandsLast() {
    List<FleetCoordinator.PeerTarget> older =
        List.of(new FleetCoordinator.PeerTarget("i-0a", 8080, TargetState.HEALTHY));
    List<FleetCoordinator.PeerTarget> newer =
        List.of(new FleetCoordinator.PeerTarget("i-0a", 8080, TargetState.DRAINING));
    long mark = host().censusMark(POOL);
    long first = host().reserveCensus(POOL);
    long second = skewed(Duration.ZERO).reserveCensus(POOL);

    skewed(Duration.ZERO).shareCensus(POOL, second, newer);
    host().shareCensus(POOL, first, older); // slower read, landing last

    assertThat(second).isGreaterThan(first);
    assertThat(byMark(host(), POOL, mark)).contains(newer);
    assertThat(byMark(host(), POOL, first)).contains(newer);
    assertThat(host().censusMark(POOL)).isEqualTo(second);
  }

  @Test
  void acquire_freeSlot_givesGenerationOneWithExpiry() {
    Lease lease = host().acquire(POOL, 2, "i-a", TTL).orElseThrow();

    assertThat(lease.owner()).isEqualTo("i-a");
    assertThat(lease.pool()).isEqualTo(POOL);
    assertThat(lease.generation()).isEqualTo(1);
    assertThat(lease.expiresAt()).isEqualTo(time.instant().plus(TTL));
    assertThat(host().holders(POOL)).containsExactly(lease);
  }

  @Test
  void acquire_whenEverySlotHeld_isEmpty() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 2, "i-a", TTL).orElseThrow();
    Lease b = lease.acquire(POOL, 2, "i-b", TTL).orElseThrow();

    assertThat(lease.acquire(POOL, 2, "i-c", TTL)).isEmpty();
    assertThat(Set.of(a.slot(), b.slot())).containsExactlyInAnyOrder(0, 1);
  }

  @Test
  void acquire_byTheHolderAgain_returnsItsLeaseRenewed() {
    TurnLease lease = host();
    Lease first = lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();
    time.advance(Duration.ofSeconds(30));

    Lease again = lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();

    assertThat(again.slot()).isEqualTo(first.slot());
    assertThat(again.generation()).isEqualTo(first.generation());
    assertThat(again.expiresAt()).isEqualTo(time.instant().plus(TTL));
  }

  @Test
  void acquire_slotsAreCountedOverThePool_notPerCaller() {
    TurnLease lease = host();
    lease.acquire(POOL, 3, "i-a", TTL).orElseThrow();
    lease.acquire(POOL, 3, "i-b", TTL).orElseThrow();

    // The pool shrank (maxUnavailable is a share of a smaller fleet): two are out already.
    assertThat(lease.acquire(POOL, 2, "i-c", TTL)).isEmpty();
  }

  @Test
  void acquire_poolsAreIndependent() {
    TurnLease lease = host();
    lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();

    assertThat(lease.acquire(POOL + "-other", 1, "i-b", TTL)).isPresent();
  }

  @Test
  void release_freesTheSlot_andTheNextHolderHasANewGeneration() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();

    lease.release(a);
    Lease b = lease.acquire(POOL, 1, "i-b", TTL).orElseThrow();

    assertThat(b.slot()).isEqualTo(a.slot());
    assertThat(b.generation()).isEqualTo(a.generation() + 1);
  }

  @Test
  void releaseWithARest_keepsTheSlotFromEveryoneUntilThen_thenTheNextTakesIt() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 2, "i-a", TTL).orElseThrow();
    Lease b = lease.acquire(POOL, 2, "i-b", TTL).orElseThrow();

    lease.release(a, time.instant().plusSeconds(30));

    // Resting, the slot is nobody's: no holder, no renewal, and no taker before its time.
    assertThat(lease.holders(POOL)).containsExactly(b);
    assertThat(lease.renew(a, TTL)).isFalse();
    time.advance(Duration.ofSeconds(29));
    assertThat(lease.acquire(POOL, 2, "i-c", TTL)).isEmpty();
    time.advance(Duration.ofSeconds(1));
    Lease c = lease.acquire(POOL, 2, "i-c", TTL).orElseThrow();
    assertThat(c.slot()).isEqualTo(a.slot());
    assertThat(c.generation()).isEqualTo(a.generation() + 1);
  }

  @Test
  void aRestingSlot_isFreeByTheTakersClock_withNoSkewAllowance() {
    // Pacing is a rate, not a safety bound: nobody out of service rests on it.
    Lease a = host().acquire(POOL, 1, "i-a", TTL).orElseThrow();
    host().release(a, time.instant().plusSeconds(30));
    TurnLease ahead = skewed(MAX_SKEW.dividedBy(2));
    time.advance(Duration.ofSeconds(28));

    assertThat(ahead.acquire(POOL, 1, "i-b", TTL)).isPresent();
  }

  @Test
  void releaseWithARestAlreadyPast_freesTheSlotAtOnce() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();
    time.advance(Duration.ofSeconds(40));

    lease.release(a, time.instant().minusSeconds(10));

    assertThat(lease.acquire(POOL, 1, "i-b", TTL)).isPresent();
  }

  @Test
  void release_isIdempotent_andIgnoresAStaleGeneration() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();
    lease.release(a);
    lease.release(a);
    Lease b = lease.acquire(POOL, 1, "i-b", TTL).orElseThrow();

    lease.release(a);

    assertThat(lease.holders(POOL)).containsExactly(b);
    assertThat(lease.renew(b, TTL)).isTrue();
  }

  @Test
  void renew_extendsTheExpiry() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();
    time.advance(Duration.ofSeconds(50));

    assertThat(lease.renew(a, TTL)).isTrue();
    time.advance(Duration.ofSeconds(50));

    assertThat(lease.acquire(POOL, 1, "i-b", TTL)).isEmpty();
    assertThat(lease.holders(POOL)).extracting(Lease::owner).containsExactly("i-a");
  }

  @Test
  void renew_afterRelease_isFalse() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 1, "i-a", TTL).orElseThrow();
    lease.release(a);

    assertThat(lease.renew(a, TTL)).isFalse();
  }

  @Test
  void expiredLease_isNotTakenOverWithinTheSkew() {
    host().acquire(POOL, 1, "i-a", TTL).orElseThrow();
    time.advance(TTL.plus(MAX_SKEW));

    assertThat(host().acquire(POOL, 1, "i-b", TTL)).isEmpty();
  }

  @Test
  void expiredLease_isTakenOverAfterTheSkew_withANewGeneration_andTheOldHolderLosesIt() {
    Lease a = host().acquire(POOL, 1, "i-a", TTL).orElseThrow();
    time.advance(TTL.plus(MAX_SKEW).plusSeconds(1));

    Lease b = host().acquire(POOL, 1, "i-b", TTL).orElseThrow();

    assertThat(b.slot()).isEqualTo(a.slot());
    assertThat(b.generation()).isEqualTo(a.generation() + 1);
    assertThat(host().renew(a, TTL)).isFalse();
    host().release(a);
    assertThat(host().holders(POOL)).containsExactly(b);
  }

  @Test
  void expiredLease_isTakenOverByExactlyOneOfManyHosts() {
    host().acquire(POOL, 1, "i-dead", TTL).orElseThrow();
    time.advance(TTL.plus(MAX_SKEW).plusSeconds(1));

    List<Lease> winners = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      host().acquire(POOL, 1, "i-" + i, TTL).ifPresent(winners::add);
    }

    assertThat(winners).hasSize(1);
    assertThat(winners.get(0).generation()).isEqualTo(2);
  }

  @Test
  void aTakerWhoseClockRunsAhead_waitsForTheSkewBound() {
    // The holder's clock is behind by the full skew; a taker whose clock is ahead must not see
    // the lease as expired while the holder, by its own clock, still holds it.
    Lease a = skewed(MAX_SKEW.negated().dividedBy(2)).acquire(POOL, 1, "i-a", TTL).orElseThrow();
    TurnLease ahead = skewed(MAX_SKEW.dividedBy(2));
    time.advance(TTL.minusSeconds(1));

    assertThat(ahead.acquire(POOL, 1, "i-b", TTL)).isEmpty();
    assertThat(skewed(MAX_SKEW.negated().dividedBy(2)).renew(a, TTL)).isTrue();
  }

  @Test
  void renewal_landingBeforeATakeover_wins() {
    Lease a = host().acquire(POOL, 1, "i-a", TTL).orElseThrow();
    time.advance(TTL.plus(MAX_SKEW).plusSeconds(1));
    // i-a renews late (its lease had run out but nobody took it): still its lease.
    assertThat(host().renew(a, TTL)).isTrue();

    assertThat(host().acquire(POOL, 1, "i-b", TTL)).isEmpty();
  }

  @Test
  void holders_leaveOutReleasedAndExpiredLeases() {
    TurnLease lease = host();
    Lease a = lease.acquire(POOL, 3, "i-a", TTL).orElseThrow();
    lease.acquire(POOL, 3, "i-b", Duration.ofSeconds(10)).orElseThrow();
    Lease c = lease.acquire(POOL, 3, "i-c", TTL).orElseThrow();
    lease.release(a);
    time.advance(Duration.ofSeconds(11));

    assertThat(lease.holders(POOL)).extracting(Lease::owner).containsExactly("i-c");
    assertThat(lease.holders(POOL).get(0).generation()).isEqualTo(c.generation());
  }

  @Test
  void generations_onlyGrow_overManyHandOvers() {
    TurnLease lease = host();
    long last = 0;
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      Lease l = lease.acquire(POOL, 1, "i-" + i, TTL).orElseThrow();
      assertThat(l.generation()).isGreaterThan(last);
      assertThat(seen.add(l.generation())).isTrue();
      last = l.generation();
      lease.release(l);
    }
  }

  // ---- run-once ------------------------------------------------------------------------------

  private static final String TASK = "web_staging@sha256:" + "a".repeat(64);

  @Test
  void beginRun_firstCallerRuns_othersSeeItRunning() {
    Run mine = host().beginRun(TASK, "i-a", TTL);
    Run theirs = host().beginRun(TASK, "i-b", TTL);

    assertThat(mine.runBy("i-a")).isTrue();
    assertThat(theirs.runBy("i-b")).isFalse();
    assertThat(theirs.owner()).isEqualTo("i-a");
    assertThat(theirs.state()).isEqualTo(RunState.RUNNING);
  }

  @Test
  void finishRun_recordsTheResult_once_andNobodyRunsItAgain() {
    Run mine = host().beginRun(TASK, "i-a", TTL);

    assertThat(host().finishRun(mine, RunState.SUCCEEDED)).isTrue();
    assertThat(host().finishRun(mine, RunState.FAILED)).isFalse();
    time.advance(TTL.multipliedBy(10));

    Run later = host().beginRun(TASK, "i-b", TTL);
    assertThat(later.state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(later.runBy("i-b")).isFalse();
    assertThat(host().run(TASK)).map(Run::state).contains(RunState.SUCCEEDED);
  }

  @Test
  void failedRun_staysFailed() {
    Run mine = host().beginRun(TASK, "i-a", TTL);
    host().finishRun(mine, RunState.FAILED);

    assertThat(host().beginRun(TASK, "i-b", TTL).state()).isEqualTo(RunState.FAILED);
  }

  @Test
  void runOfADeadHost_isTakenOverAfterExpiryAndSkew_byOne_andTheDeadRunnerCannotFinish() {
    Run dead = host().beginRun(TASK, "i-dead", TTL);
    time.advance(TTL.plus(MAX_SKEW));
    assertThat(host().beginRun(TASK, "i-b", TTL).runBy("i-b")).isFalse();
    time.advance(Duration.ofSeconds(1));

    Run b = host().beginRun(TASK, "i-b", TTL);
    Run c = host().beginRun(TASK, "i-c", TTL);

    assertThat(b.runBy("i-b")).isTrue();
    assertThat(b.generation()).isEqualTo(dead.generation() + 1);
    assertThat(c.runBy("i-c")).isFalse();
    assertThat(host().finishRun(dead, RunState.SUCCEEDED)).isFalse();
    assertThat(host().renewRun(dead, TTL)).isFalse();
    assertThat(host().renewRun(b, TTL)).isTrue();
    assertThat(host().finishRun(b, RunState.SUCCEEDED)).isTrue();
  }

  @Test
  void beginRun_byTheRunnerAgain_keepsItsGeneration() {
    Run first = host().beginRun(TASK, "i-a", TTL);
    time.advance(Duration.ofSeconds(30));

    Run again = host().beginRun(TASK, "i-a", TTL);

    assertThat(again.runBy("i-a")).isTrue();
    assertThat(again.generation()).isEqualTo(first.generation());
  }

  @Test
  void run_ofAnUnknownTask_isEmpty() {
    assertThat(host().run("never@sha256:" + "b".repeat(64))).isEqualTo(Optional.empty());
  }

  @Test
  void finishRun_withRunning_isRejected() {
    Run mine = host().beginRun(TASK, "i-a", TTL);

    assertThatThrownBy(() -> host().finishRun(mine, RunState.RUNNING))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
