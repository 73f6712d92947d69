package dev.driftguard.fleet;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * Writes this instance's published-state tags, throttle-safe (docs/design/published-state.md).
 *
 * <ul>
 *   <li><b>Only changes</b>: each {@code CreateTags} carries just the tags whose value differs from
 *       what the last successful call wrote (plus {@code updated}); a state that differs only in
 *       {@code updated} is not sent at all, so {@code updated} is when the state last changed.
 *   <li><b>Coalesced</b>: at most one {@code CreateTags} per service per {@code minInterval}
 *       (counting failed attempts). A state offered sooner is kept, replacing any older pending
 *       one, and sent by the first {@link #offer} or {@link #flush} after the interval. A deploy
 *       walks through its phases within seconds; peers and {@code rollout-status} need the latest
 *       state, not every step. One exception: a change of the urgent tag (the circuit breaker's
 *       failed digest) goes out at once; rollbacks are rare, and peers must not wait for it.
 *   <li><b>Held mid-deploy in a large fleet</b>: EC2's mutating bucket refills 5 tokens a second
 *       for the whole account, so 2,000 hosts can afford about one write each per rollout. A
 *       settled state (no deploy under way) goes out after {@code minInterval}; a mid-deploy one
 *       only once it has waited the fleet's interval, {@code hosts / }{@link
 *       #FLEET_WRITES_PER_SECOND} (never less than {@code minInterval}): a deploy that ends sooner
 *       publishes its end alone, one that hangs (a long wait at the gate) still shows where. The
 *       first state after the agent starts, most likely what EC2 holds already, waits this host's
 *       own share of that interval, so a fleet-wide restart spreads its writes; so does a settled
 *       state the whole fleet reaches at once (a digest refused after a peer's rollback).
 *   <li><b>Never throws</b>: a failure leaves the state pending, to be retried after {@code
 *       minInterval}, doubling with each failure in a row up to the fleet's interval (a throttled
 *       account is not retried in lockstep by every host); it is logged once per distinct error
 *       code per service, and its recovery once.
 * </ul>
 *
 * <p>Thread-safe; calls for one service are serialized.
 */
final class Ec2TagPublisher {
  private static final Logger logger = LoggerFactory.getLogger(Ec2TagPublisher.class);
  private static final String CREATE_TAGS = "CreateTags";

  /**
   * Published-state writes a second the whole fleet is held to while deploys run: 40 % of EC2's
   * mutating refill (5/s), the rest left to operators' own tooling.
   */
  static final double FLEET_WRITES_PER_SECOND = 2.0;

  private final Supplier<Ec2Client> ec2;
  private final String instanceId;
  private final AwsCallListener listener;
  private final Clock clock;
  private final Duration minInterval;
  private Duration fleetInterval;
  private final Map<String, Entry> entries = new HashMap<>();

  /** When a state that is not urgent goes out (see the class comment). */
  enum Pace {
    /** A deploy under way: held for the fleet's interval, so that mostly its end goes out. */
    MID_DEPLOY,
    /** No deploy under way: sent after {@code minInterval}. */
    SETTLED,
    /**
     * No deploy under way, and most likely the whole fleet's state changed at the same moment (a
     * digest refused by every waiting host once a peer's rollback became visible): each host waits
     * its own share of the fleet's interval, as after a start.
     */
    SETTLED_FLEET_WIDE
  }

  /** Per service: what AWS has (as far as we know), what waits to be sent, and the last error. */
  private static final class Entry {
    final Map<String, String> confirmed = new HashMap<>();
    Map<String, String> pending;
    Pace pendingPace;

    /** The state offered first since the agent started, unchanged and not yet sent. */
    boolean heldFromStart = true;

    Instant pendingSince;
    Instant lastAttempt;
    int failuresInARow;
    String lastError;
  }

  Ec2TagPublisher(
      Supplier<Ec2Client> ec2,
      String instanceId,
      AwsCallListener listener,
      Clock clock,
      Duration minInterval) {
    this.ec2 = Objects.requireNonNull(ec2, "ec2");
    this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (minInterval == null || minInterval.isNegative()) {
      throw new IllegalArgumentException("minInterval must be zero or more, got " + minInterval);
    }
    this.minInterval = minInterval;
    this.fleetInterval = minInterval;
  }

  /** Stretches the interval of mid-deploy states for {@code hosts} sharing the account. */
  synchronized void fleetSize(int hosts) {
    Duration stretched =
        Duration.ofMillis((long) (Math.max(1, hosts) * 1000 / FLEET_WRITES_PER_SECOND));
    fleetInterval = stretched.compareTo(minInterval) > 0 ? stretched : minInterval;
  }

  /**
   * Offers the service's full set of tags (every field, {@code updatedKey} among them); sends what
   * changed now or later (see the class comment).
   *
   * @param urgentKey a tag whose change is sent at once, interval or not (the circuit breaker's
   *     failed digest: peers must see it before they deploy the digest); null for none
   * @param pace when the state goes out unless urgent (see the class comment)
   */
  synchronized void offer(
      String service, Map<String, String> tags, String updatedKey, String urgentKey, Pace pace) {
    Entry entry = entries.computeIfAbsent(service, s -> new Entry());
    if (entry.pending == null) {
      entry.pendingSince = clock.instant();
    } else if (entry.heldFromStart && !sameState(entry.pending, tags, updatedKey)) {
      entry.heldFromStart = false;
    }
    entry.pending = new LinkedHashMap<>(tags);
    entry.pendingPace = pace;
    trySend(service, entry, updatedKey, urgentKey);
  }

  /** Sends every pending state whose interval has passed. */
  synchronized void flush(Function<String, String> updatedKeyOf) {
    entries.forEach((service, entry) -> trySend(service, entry, updatedKeyOf.apply(service), null));
  }

  /** Whether a state of {@code service} waits to be sent (for tests and the status page). */
  synchronized boolean pending(String service) {
    Entry entry = entries.get(service);
    return entry != null && entry.pending != null;
  }

  private void trySend(String service, Entry entry, String updatedKey, String urgentKey) {
    if (entry.pending == null) {
      return;
    }
    Map<String, String> changed = new LinkedHashMap<>();
    entry.pending.forEach(
        (k, v) -> {
          if (!k.equals(updatedKey) && !v.equals(entry.confirmed.get(k))) {
            changed.put(k, v);
          }
        });
    if (changed.isEmpty()) {
      entry.pending = null;
      return;
    }
    Instant now = clock.instant();
    // Urgent: a failed digest peers have not seen; not the empty value of a first publish.
    boolean urgent =
        urgentKey != null
            && changed.containsKey(urgentKey)
            && (entry.confirmed.containsKey(urgentKey) || !changed.get(urgentKey).isEmpty());
    if (!urgent && !due(entry, now)) {
      return; // coalesced: the newest state stays pending
    }
    String updated = entry.pending.get(updatedKey);
    if (updated != null) {
      changed.put(updatedKey, updated);
    }
    entry.lastAttempt = now;
    entry.heldFromStart = false;
    List<Tag> tags =
        changed.entrySet().stream()
            .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
            .toList();
    try {
      ec2.get().createTags(b -> b.resources(instanceId).tags(tags));
    } catch (SdkException e) {
      entry.failuresInARow++;
      String code = AwsErrors.code(e);
      listener.onError("ec2", CREATE_TAGS, code);
      if (!code.equals(entry.lastError)) {
        entry.lastError = code;
        logger.warn(
            "[service={}] could not publish state, will retry with the next change: {}{}",
            service,
            AwsErrors.failed("EC2", CREATE_TAGS, "instance " + instanceId, e),
            "TagLimitExceeded".equals(code)
                ? " (each service needs 6 of the instance's 50 tags; remove tags or services)"
                : "");
      }
      return;
    } catch (RuntimeException e) {
      // Publishing must never fail a deploy, whatever the SDK throws.
      entry.failuresInARow++;
      String code = e.getClass().getSimpleName();
      listener.onError("ec2", CREATE_TAGS, code);
      if (!code.equals(entry.lastError)) {
        entry.lastError = code;
        logger.warn("[service={}] could not publish state: {}", service, e.toString());
      }
      return;
    }
    listener.onSuccess("ec2", CREATE_TAGS);
    entry.confirmed.putAll(changed);
    entry.pending = null;
    entry.failuresInARow = 0;
    if (entry.lastError != null) {
      logger.info("[service={}] publishing state works again (after {})", service, entry.lastError);
      entry.lastError = null;
    }
  }

  /** Whether the entry's pending (non-urgent) state may be sent now (see the class comment). */
  private boolean due(Entry entry, Instant now) {
    if (entry.lastAttempt != null && now.isBefore(entry.lastAttempt.plus(retryWait(entry)))) {
      return false;
    }
    if (fleetInterval.equals(minInterval)) {
      return true; // a small fleet: every state after minInterval
    }
    if (entry.heldFromStart || entry.pendingPace == Pace.SETTLED_FLEET_WIDE) {
      // Most likely EC2 holds it already (the agent restarted), or every host's state changed
      // at once; the whole fleet restarting (an upgrade) or refusing a digest would write 2,000
      // tags at once. Each host waits its own share of the interval.
      return !now.isBefore(entry.pendingSince.plus(ownShare()));
    }
    return entry.pendingPace == Pace.SETTLED
        || !now.isBefore(entry.pendingSince.plus(fleetInterval));
  }

  /** This host's place in the fleet interval, the same on every start (from its instance id). */
  private Duration ownShare() {
    double share = Math.floorMod(instanceId.hashCode(), 1000) / 1000.0;
    return Duration.ofMillis((long) (fleetInterval.toMillis() * share));
  }

  private static boolean sameState(
      Map<String, String> a, Map<String, String> b, String updatedKey) {
    Map<String, String> x = new HashMap<>(a);
    Map<String, String> y = new HashMap<>(b);
    x.remove(updatedKey);
    y.remove(updatedKey);
    return x.equals(y);
  }

  /** {@code minInterval}, doubled for each failure in a row, at most the fleet's interval. */
  private Duration retryWait(Entry entry) {
    Duration wait = minInterval;
    for (int i = 0; i < entry.failuresInARow && wait.compareTo(fleetInterval) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(fleetInterval) > 0 ? fleetInterval : wait;
  }
}
