package dev.driftguard.metrics;

import dev.driftguard.reconcile.Action;
import dev.driftguard.reconcile.ReconcileListener;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * How long the agent took from its process's start to two moments, as {@code
 * driftguard_startup_seconds{milestone}}: {@code first_decision}, when every configured service had
 * its first decision (in sync, deploy, hold, ...), and {@code first_pass}, when every service had
 * been through its first pass ({@link FirstPass}'s moment, when the unit becomes ready). A restart
 * that is slow to decide is a restart that is slow to notice drift; the two tell the reads the
 * decision needs from what the pass does after it (the registration check, the published state).
 * NaN until reached.
 */
public final class StartupTimes implements ReconcileListener {
  /** The kernel's clock ticks a second as user space sees them: 100 on Linux. */
  private static final int USER_HZ = 100;

  private final Instant processStart;
  private final Clock clock;
  private final Set<String> undecided;
  private volatile double firstDecision = Double.NaN;
  private volatile double firstPass = Double.NaN;

  /**
   * @param services the configured service names
   * @param processStart when the process started ({@link #processStart(Clock)})
   */
  public StartupTimes(Collection<String> services, Instant processStart, Clock clock) {
    this.undecided = new LinkedHashSet<>(services);
    this.processStart = processStart;
    this.clock = clock;
  }

  /**
   * When this process started (exec: the launcher execs the JVM, so its own work is counted), to 10
   * ms: its start in clock ticks since boot ({@code /proc/self/stat}) against the time since boot
   * ({@code /proc/uptime}). Not {@link ProcessHandle.Info#startInstant()}: it adds the boot time,
   * which the kernel gives in whole seconds, so it can be up to a second early. Elsewhere, the
   * JVM's start.
   */
  public static Instant processStart(Clock clock) {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      // Fields after the command name (which may hold spaces): the 3rd field (state) first, so the
      // 22nd (starttime) is the 19th after it.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long startTicks = Long.parseLong(fields[19]);
      double sinceBoot =
          Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
      double age = sinceBoot - startTicks / (double) USER_HZ;
      return clock.instant().minusNanos((long) (age * 1e9));
    } catch (IOException | RuntimeException e) {
      return Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
    }
  }

  /** Registers {@code driftguard_startup_seconds} for both milestones. */
  public StartupTimes bindTo(MeterRegistry registry) {
    gauge(registry, "first_decision", t -> t.firstDecision);
    gauge(registry, "first_pass", t -> t.firstPass);
    return this;
  }

  private void gauge(MeterRegistry registry, String milestone, ToDoubleFunction<StartupTimes> f) {
    Gauge.builder(AgentMetrics.PREFIX + "startup", this, f)
        .description(
            "Seconds from the process's start until every service had its first decision"
                + " (first_decision) or its first reconcile pass (first_pass); NaN until then")
        .baseUnit("seconds")
        .tag("milestone", milestone)
        .register(registry);
  }

  double firstDecision() {
    return firstDecision;
  }

  double firstPass() {
    return firstPass;
  }

  @Override
  public synchronized void decided(String service, Action action) {
    if (undecided.remove(service) && undecided.isEmpty()) {
      firstDecision = sinceStart();
    }
  }

  /** The first pass is done for every service ({@link FirstPass} tells, once). */
  public void firstPassDone() {
    if (Double.isNaN(firstPass)) {
      firstPass = sinceStart();
    }
  }

  private double sinceStart() {
    return Duration.between(processStart, clock.instant()).toNanos() / 1e9;
  }
}
