package dev.driftguard.sim;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One ELBv2 target group's truth: targets, their health checks and deregistration delay, as the
 * ELBv2 docs describe them. A registered target starts {@code initial} and needs {@code
 * healthyThreshold} passing checks to be {@code healthy}; {@code unhealthyThreshold} failures make
 * it {@code unhealthy}; a deregistered target is {@code draining} for the deregistration delay,
 * then gone; registering it again while draining starts over at {@code initial}. Each target is
 * checked every interval at its own phase. What {@code DescribeTargetHealth} returns lags this
 * truth ({@link SimAws}); the invariant checker reads the truth ({@link Listener}).
 */
final class SimTargetGroup {
  /** ELBv2's state and reason, as DescribeTargetHealth words them. */
  record Health(String state, String reason) {
    static final Health INITIAL = new Health("initial", "Elb.RegistrationInProgress");
    static final Health HEALTHY = new Health("healthy", null);
    static final Health UNHEALTHY = new Health("unhealthy", "Target.ResponseCodeMismatch");
    static final Health DRAINING = new Health("draining", "Target.DeregistrationInProgress");
    static final Health GONE = new Health("unused", "Target.NotRegistered");

    boolean inService() {
      return this == HEALTHY;
    }
  }

  /** Whether a target passes a health check now (its host is up and serving on that port). */
  interface Probe {
    boolean passes(String instanceId, int port);
  }

  /** Hears every change of a target's true state. */
  interface Listener {
    void changed(String instanceId, int port, Health from, Health to);
  }

  final class Target {
    final String instanceId;
    final int port;
    Health health = Health.GONE;
    final Lagged<Health> seen = new Lagged<>(Health.GONE);
    int passes;
    int fails;
    long epoch;
    long phase;

    Target(String instanceId, int port) {
      this.instanceId = instanceId;
      this.port = port;
      this.phase = random.nextLong(intervalMillis);
    }
  }

  final String arn;
  final long intervalMillis;
  final int healthyThreshold;
  final int unhealthyThreshold;
  final long deregistrationDelayMillis;
  private final Scheduler scheduler;
  private final SplittableRandom random;
  private final long lagMillis;
  private final Probe probe;
  private final Listener listener;
  final Map<String, Target> targets = new LinkedHashMap<>();
  private final Map<String, Target> byInstance = new HashMap<>();

  SimTargetGroup(
      String arn,
      long intervalMillis,
      int healthyThreshold,
      int unhealthyThreshold,
      long deregistrationDelayMillis,
      Scheduler scheduler,
      SplittableRandom random,
      long lagMillis,
      Probe probe,
      Listener listener) {
    this.arn = arn;
    this.intervalMillis = intervalMillis;
    this.healthyThreshold = healthyThreshold;
    this.unhealthyThreshold = unhealthyThreshold;
    this.deregistrationDelayMillis = deregistrationDelayMillis;
    this.scheduler = scheduler;
    this.random = random;
    this.lagMillis = lagMillis;
    this.probe = probe;
    this.listener = listener;
  }

  private static String key(String instanceId, int port) {
    return instanceId + ":" + port;
  }

  Target target(String instanceId, int port) {
    return targets.get(key(instanceId, port));
  }

  /** The target of this instance on any port (one per host in stop-first), or null. */
  Target targetOf(String instanceId) {
    return byInstance.get(instanceId);
  }

  void register(String instanceId, int port) {
    Target t = targets.computeIfAbsent(key(instanceId, port), k -> new Target(instanceId, port));
    byInstance.put(instanceId, t);
    if (t.health == Health.INITIAL || t.health == Health.HEALTHY || t.health == Health.UNHEALTHY) {
      return;
    }
    t.epoch++;
    t.passes = 0;
    t.fails = 0;
    set(t, Health.INITIAL);
    long epoch = t.epoch;
    long first = scheduler.now() + Math.floorMod(t.phase - scheduler.now(), intervalMillis);
    scheduler.at(first, () -> check(t, epoch));
  }

  /** Seeds a target that has been healthy since before the simulation starts. */
  void seedHealthy(String instanceId, int port) {
    Target t = new Target(instanceId, port);
    targets.put(key(instanceId, port), t);
    byInstance.put(instanceId, t);
    t.passes = healthyThreshold;
    t.epoch = 1;
    t.health = Health.HEALTHY;
    t.seen.write(scheduler.now(), 0, Health.HEALTHY);
    listener.changed(instanceId, port, Health.GONE, Health.HEALTHY);
    long first = scheduler.now() + Math.floorMod(t.phase - scheduler.now(), intervalMillis);
    scheduler.at(first, () -> check(t, 1));
  }

  void deregister(String instanceId, int port) {
    Target t = target(instanceId, port);
    if (t == null || t.health == Health.DRAINING || t.health == Health.GONE) {
      return;
    }
    t.epoch++;
    set(t, Health.DRAINING);
    long epoch = t.epoch;
    scheduler.at(
        scheduler.now() + deregistrationDelayMillis,
        () -> {
          if (t.epoch == epoch) {
            set(t, Health.GONE);
          }
        });
  }

  private void check(Target t, long epoch) {
    if (t.epoch != epoch) {
      return;
    }
    if (probe.passes(t.instanceId, t.port)) {
      t.passes++;
      t.fails = 0;
      if (t.health != Health.HEALTHY && t.passes >= healthyThreshold) {
        set(t, Health.HEALTHY);
      }
    } else {
      t.fails++;
      t.passes = 0;
      if (t.health != Health.UNHEALTHY && t.fails >= unhealthyThreshold) {
        set(t, Health.UNHEALTHY);
      }
    }
    scheduler.at(scheduler.now() + intervalMillis, () -> check(t, epoch));
  }

  private void set(Target t, Health to) {
    Health from = t.health;
    if (from == to) {
      return;
    }
    t.health = to;
    t.seen.write(scheduler.now(), lagMillis <= 0 ? 0 : random.nextLong(lagMillis + 1), to);
    listener.changed(t.instanceId, t.port, from, to);
  }
}
