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
 *   <li><b>Never throws</b>: a failure leaves the state pending, to be retried by the next call
 *       after the interval; it is logged once per distinct error code per service, and its recovery
 *       once.
 * </ul>
 *
 * <p>Thread-safe; calls for one service are serialized.
 */
final class Ec2TagPublisher {
  private static final Logger logger = LoggerFactory.getLogger(Ec2TagPublisher.class);
  private static final String CREATE_TAGS = "CreateTags";

  private final Ec2Client ec2;
  private final String instanceId;
  private final AwsCallListener listener;
  private final Clock clock;
  private final Duration minInterval;
  private final Map<String, Entry> entries = new HashMap<>();

  /** Per service: what AWS has (as far as we know), what waits to be sent, and the last error. */
  private static final class Entry {
    final Map<String, String> confirmed = new HashMap<>();
    Map<String, String> pending;
    Instant lastAttempt;
    String lastError;
  }

  Ec2TagPublisher(
      Ec2Client ec2,
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
  }

  /**
   * Offers the service's full set of tags (every field, {@code updatedKey} among them); sends what
   * changed now or later (see the class comment).
   *
   * @param urgentKey a tag whose change is sent at once, interval or not (the circuit breaker's
   *     failed digest: peers must see it before they deploy the digest); null for none
   */
  synchronized void offer(
      String service, Map<String, String> tags, String updatedKey, String urgentKey) {
    Entry entry = entries.computeIfAbsent(service, s -> new Entry());
    entry.pending = new LinkedHashMap<>(tags);
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
    boolean urgent = urgentKey != null && changed.containsKey(urgentKey);
    if (!urgent && entry.lastAttempt != null && now.isBefore(entry.lastAttempt.plus(minInterval))) {
      return; // coalesced: the newest state stays pending
    }
    String updated = entry.pending.get(updatedKey);
    if (updated != null) {
      changed.put(updatedKey, updated);
    }
    entry.lastAttempt = now;
    List<Tag> tags =
        changed.entrySet().stream()
            .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
            .toList();
    try {
      ec2.createTags(b -> b.resources(instanceId).tags(tags));
    } catch (SdkException e) {
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
    if (entry.lastError != null) {
      logger.info("[service={}] publishing state works again (after {})", service, entry.lastError);
      entry.lastError = null;
    }
  }
}
