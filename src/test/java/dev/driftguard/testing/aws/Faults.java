package dev.driftguard.testing.aws;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The faults installed in one {@link LocalAws} (its services and its IMDS servers), in the order
 * they were installed. Latency rules add up; the first error rule that selects a call fails it, so
 * a steady latency and a passing outage can be installed side by side. Spent rules stay listed with
 * their hit counts until removed.
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

  /**
   * Applies the rules to one call: every latency rule that selects it adds its latency (slept
   * outside any lock, so other calls go on); the first error rule that selects it fails it with its
   * {@link AwsFault}, after that latency.
   */
  void apply(String service, String operation) {
    long latencyMillis = 0;
    AwsFault error = null;
    synchronized (this) {
      for (FaultRule rule : rules.values()) {
        if (!rule.select(service, operation, clock.instant())) {
          continue;
        }
        if (rule.effect() instanceof FaultRule.Error e) {
          error = e.fault();
          break;
        }
        latencyMillis += ((FaultRule.Delay) rule.effect()).latency().toMillis();
      }
    }
    if (latencyMillis > 0) {
      try {
        Thread.sleep(latencyMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (error != null) {
      throw error;
    }
  }
}
