package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.fleet.TurnLease.Intent;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetId;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.traffic.TrafficGate;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

/**
 * A deploy's RegisterTargets and DeregisterTargets calls, batched with its peers' (rule 7 of
 * docs/design/fleet-at-scale.md). ELBv2 serves both calls from one bucket of the account, 4 a
 * second, and each turn made two: a rollout of N hosts needed 2 N calls, 1,250 s at 2,000 hosts
 * within 80 % of the bucket. One call takes many targets, so a host about to call first posts its
 * intent on its turn lease and waits a moment ({@link #WINDOW}); the first host whose moment ends
 * calls for itself and for every intent of the same call pending in the pool, and marks them done.
 * A host whose intent was marked done has had its call made; one whose intent was not withdraws it
 * and calls for itself (and for whoever is pending). A dead or slow caller costs a window, never a
 * turn: the same call twice is harmless.
 *
 * <p>The hazard is a call landing late: a peer's call carrying this host's deregistration, landing
 * after this host registered again. A call that carries peers ends within {@link
 * TrafficGate#BATCH_DEADLINE}, retries included, and once an intent is settled nobody reads it as
 * pending any more. So a host makes the opposite call only {@link #SWITCH_GUARD} after it settled
 * (or lost track of) an intent. Normally the drain and the container's restart take longer anyway.
 *
 * <p>Without a lease (a worker, a host alone), in a pool of one turn, or without a table that
 * shares intents, the host calls for itself at once, as before.
 */
final class TargetCalls {
  /** How long an intent waits for a peer's call before its host calls itself (jittered). */
  static final Duration WINDOW = Duration.ofSeconds(1);

  /**
   * How long after settling an intent its host waits before the opposite call: a peer's call that
   * read the intent as pending ends within its deadline; the margin covers ELBv2 applying a request
   * the client already gave up on.
   */
  static final Duration SWITCH_GUARD = TrafficGate.BATCH_DEADLINE.plusSeconds(5);

  /** The last call of a service's target a peer may be carrying, and until when. */
  private record Guard(TargetCall call, Instant until) {}

  private final TrafficGate traffic;
  private final TurnLease turns;
  private final String instanceId;
  private final Clock clock;
  private final RandomGenerator random;
  private final Map<String, Guard> guards = new ConcurrentHashMap<>();

  TargetCalls(
      TrafficGate traffic,
      TurnLease turns,
      String instanceId,
      Clock clock,
      RandomGenerator random) {
    this.traffic = traffic;
    this.turns = turns;
    this.instanceId = instanceId;
    this.clock = clock;
    this.random = random;
  }

  /**
   * Makes {@code call} for {@code d}'s target on {@code port}, or moves it on: posts the intent,
   * waits its window, settles it, calls.
   *
   * @return zero when the call is made (by this host or a peer); otherwise how long to wait before
   *     calling this again
   * @throws TrafficGateException when the call fails, or an intent of the opposite call cannot be
   *     withdrawn (the table did not answer): the step waits and tries again, as for any failed
   *     call
   */
  Duration make(Deploy d, TargetCall call, TrafficSpec traffic, int port) {
    Instant now = clock.instant();
    if (d.intentNumber != TurnLease.NO_INTENT && d.intentCall != call) {
      // An intent of the other call is still posted (its step ended early): withdrawn first,
      // else a peer could still carry it after this call.
      settle(d, now, true);
    }
    Guard guard = guards.get(d.service.name());
    if (guard != null && guard.call() != call && now.isBefore(guard.until())) {
      return Duration.between(now, guard.until());
    }
    if (d.intentNumber == TurnLease.NO_INTENT) {
      long number = post(d, call, port);
      if (number == TurnLease.NO_INTENT) {
        this.traffic.call(call, traffic, port, List.of());
        return Duration.ZERO;
      }
      d.intentNumber = number;
      d.intentCall = call;
      d.intentSettleAt = now.plus(jittered(WINDOW));
      // Until it is settled, a peer may carry it whenever it calls.
      guards.put(d.service.name(), new Guard(call, Instant.MAX));
      return Duration.between(now, d.intentSettleAt);
    }
    if (now.isBefore(d.intentSettleAt)) {
      return Duration.between(now, d.intentSettleAt);
    }
    if (settle(d, now, false)) {
      return Duration.ZERO;
    }
    // Still posted means the table did not answer the settle: it will not answer the pool's
    // query or the marks either, so this host calls for itself alone.
    List<Intent> pending = d.intentNumber == TurnLease.NO_INTENT ? pending(d, call) : List.of();
    List<TargetId> peers = new ArrayList<>();
    pending.forEach(i -> peers.add(i.target()));
    try {
      this.traffic.call(call, traffic, port, peers);
    } catch (TrafficGateException e) {
      if (peers.isEmpty() || e.throttled()) {
        throw e;
      }
      // One target ELBv2 refuses fails the whole request (it registers no instance that is not
      // running: a peer that died with its intent posted). This host calls alone; the peers call
      // for themselves once their windows end.
      this.traffic.call(call, traffic, port, List.of());
      return Duration.ZERO;
    }
    for (Intent i : pending) {
      try {
        turns.markDone(i);
      } catch (FleetCoordinationException e) {
        // Its holder calls for itself after its window: the same call twice is harmless.
      }
    }
    return Duration.ZERO;
  }

  /**
   * A deploy ends: an intent it did not settle is withdrawn with its lease (released next), and a
   * peer that read it may still carry it for a while.
   */
  void ended(Deploy d) {
    if (d.intentNumber != TurnLease.NO_INTENT) {
      guardFromNow(d.service.name(), d.intentCall);
      d.intentNumber = TurnLease.NO_INTENT;
    }
  }

  /**
   * A service's intents of an earlier agent process were withdrawn (a resumed deploy cleared its
   * lease's, or a stale lease was released): its next call waits out any peer's call carrying them,
   * whatever that call was.
   */
  void withdrawnByRestart(String service) {
    guards.put(service, new Guard(null, clock.instant().plus(SWITCH_GUARD)));
  }

  private long post(Deploy d, TargetCall call, int port) {
    if (d.lease == null || d.turnSlots == 1) {
      // A pool of one turn has no peer out at the same time to call with: the wait and the
      // guard would only keep the host out of service longer (a small fleet's every turn).
      return TurnLease.NO_INTENT;
    }
    try {
      return turns.postIntent(d.lease, call, new TargetId(instanceId, port));
    } catch (FleetCoordinationException e) {
      return TurnLease.NO_INTENT; // the table does not answer: call alone, as before
    }
  }

  /**
   * Settles {@code d}'s intent: true when a peer's call carried it. When the table does not answer,
   * the intent stays posted: {@code mustWithdraw} (before the opposite call) then throws; otherwise
   * the host makes the same call for itself, which a peer carrying it too cannot undo.
   */
  private boolean settle(Deploy d, Instant now, boolean mustWithdraw) {
    boolean done;
    try {
      // A lease lost meanwhile was taken over, and the takeover rewrote its item without the
      // intent.
      done = d.lease != null && turns.settleIntent(d.lease, d.intentNumber);
    } catch (FleetCoordinationException e) {
      if (mustWithdraw) {
        throw new TrafficGateException(
            "could not withdraw this host's " + d.intentCall + " intent: " + e.getMessage(),
            e.throttled(),
            e);
      }
      return false;
    }
    guardFromNow(d.service.name(), d.intentCall);
    d.intentNumber = TurnLease.NO_INTENT;
    return done;
  }

  private List<Intent> pending(Deploy d, TargetCall call) {
    if (d.lease == null) {
      return List.of();
    }
    try {
      return turns.pendingIntents(d.lease.pool(), call).stream()
          .filter(i -> !i.lease().owner().equals(instanceId))
          .toList();
    } catch (FleetCoordinationException e) {
      return List.of(); // call for this host alone
    }
  }

  private void guardFromNow(String service, TargetCall call) {
    guards.put(service, new Guard(call, clock.instant().plus(SWITCH_GUARD)));
  }

  private Duration jittered(Duration base) {
    return Duration.ofMillis((long) (base.toMillis() * (0.5 + random.nextDouble())));
  }
}
