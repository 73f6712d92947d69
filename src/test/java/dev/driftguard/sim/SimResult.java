package dev.driftguard.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What one simulated rollout did: the numbers of the report and the invariants' verdicts. */
public final class SimResult {
  private static final int KEPT_VIOLATIONS = 20;

  final Scenario scenario;
  final long seed;
  int allowed;
  long pinAt;
  long endAt;
  int virtualSeconds;
  long wallMillis;

  /** CPU time of the simulating thread: the machine is shared, so wall time varies. */
  long cpuMillis;

  long events;
  final List<Long> convergence = new ArrayList<>();
  int maxOutByAgents;
  int maxOutTotal;
  long violations;
  final List<String> violationSamples = new ArrayList<>();
  int badDigestHosts;

  /** Times the group shrank (deaths) below the hosts already out of service. */
  int floorShrunk;

  int died;
  int spotNotices;
  int agentRestarts;
  int survivors;
  long tickErrors;
  String firstTickError;
  List<ApiStats> api = List.of();

  /** {time ms, alive, in service, on the new digest and in service, out by agents, out other}. */
  final List<long[]> series = new ArrayList<>();

  /** Deploy outcomes the agents reported, e.g. {@code success}, {@code rolled_back}. */
  final Map<String, Integer> outcomes = new TreeMap<>();

  /** Deploys that failed for a throttled AWS call (must stay 0). */
  int throttledFailures;

  /**
   * RegisterTargets and DeregisterTargets calls served, the targets they carried, and late ones.
   */
  long registrationCalls;

  long registrationTargets;

  long lateCalls;

  /** Executions of the rollout's one-time task that completed. */
  int runOnceCompleted;

  int runOnceConcurrentMax;

  SimResult(Scenario scenario, long seed) {
    this.scenario = scenario;
    this.seed = seed;
  }

  void violation(long at, String what) {
    violations++;
    if (violationSamples.size() < KEPT_VIOLATIONS) {
      violationSamples.add(String.format(java.util.Locale.ROOT, "t=%.1fs %s", at / 1000.0, what));
    }
  }

  public long violations() {
    return violations;
  }

  public List<String> violationSamples() {
    return List.copyOf(violationSamples);
  }

  /** The {@code q} quantile (0..1) of convergence times in seconds, or -1 without any. */
  double convergenceSeconds(double q) {
    if (convergence.isEmpty()) {
      return -1;
    }
    List<Long> sorted = new ArrayList<>(convergence);
    sorted.sort(null);
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1000.0;
  }

  long throttledCalls() {
    return api.stream().mapToLong(a -> a.throttled).sum();
  }
}
