package dev.driftguard.testing.aws;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The faults installed in one {@link LocalAws} (its services and its IMDS servers), in the order
 * they were installed: the first rule that selects a call decides what happens to it. Spent rules
 * stay listed with their hit counts until removed.
 */
final class Faults {
  private final Clock clock;
  private final Map<Integer, FaultRule> rules = new LinkedHashMap<>();
  private int nextId = 1;

  Faults(Clock clock) {
    this.clock = clock;
  }

  /** Installs {@code rule} now; returns its id (for {@link #remove}). */
  synchronized int add(FaultRule rule) {
    int id = nextId++;
    rules.put(id, rule.installedAt(clock.instant()));
    return id;
  }

  synchronized FaultRule get(int id) {
    FaultRule rule = rules.get(id);
    if (rule == null) {
      throw new IllegalArgumentException("no fault rule " + id);
    }
    return rule;
  }

  synchronized void remove(int id) {
    rules.remove(id);
  }

  synchronized void clear() {
    rules.clear();
  }

  /** The installed rules by id, oldest first. */
  synchronized Map<Integer, FaultRule> all() {
    return new LinkedHashMap<>(rules);
  }

  /** The effect for this call, if a rule selects it. */
  Optional<FaultRule.Effect> select(String service, String operation) {
    FaultRule chosen = null;
    synchronized (this) {
      for (FaultRule rule : rules.values()) {
        if (rule.select(service, operation, clock.instant())) {
          chosen = rule;
          break;
        }
      }
    }
    return Optional.ofNullable(chosen).map(FaultRule::effect);
  }

  /**
   * Applies the effect chosen for a call: sleeps for a {@link FaultRule.Delay} (outside any lock,
   * so other calls go on), throws the {@link AwsFault} of a {@link FaultRule.Error}.
   */
  void apply(String service, String operation) {
    Optional<FaultRule.Effect> effect = select(service, operation);
    if (effect.isEmpty()) {
      return;
    }
    if (effect.get() instanceof FaultRule.Error error) {
      throw error.fault();
    }
    Duration latency = ((FaultRule.Delay) effect.get()).latency();
    try {
      Thread.sleep(latency.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
