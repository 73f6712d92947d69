package dev.driftguard.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes what simulated rollouts did: one CSV row per run ({@code runs.csv}), a markdown summary
 * per scenario ({@code report.md}), and per scenario the time series and convergence CDF of its
 * first seed with a gnuplot script that draws them as SVG ({@code test/bench/fleet-sim} runs it).
 */
public final class SimReport {
  private SimReport() {}

  /** One bucket's use in a run: mean and peak calls a second against its refill rate. */
  record BucketUse(
      String bucket, double mean, int peak, double refill, long calls, long throttled) {}

  static List<BucketUse> buckets(SimResult r) {
    Map<String, List<ApiStats>> byBucket = new LinkedHashMap<>();
    for (ApiStats a : r.api) {
      String name = a.limit == null ? a.api : a.limit.name();
      byBucket.computeIfAbsent(name, k -> new ArrayList<>()).add(a);
    }
    List<BucketUse> out = new ArrayList<>();
    int seconds = Math.max(1, r.virtualSeconds);
    byBucket.forEach(
        (bucket, apis) -> {
          long calls = apis.stream().mapToLong(a -> a.calls).sum();
          long throttled = apis.stream().mapToLong(a -> a.throttled).sum();
          int last = apis.stream().mapToInt(ApiStats::lastSecond).max().orElse(0);
          int peak = 0;
          for (int s = 0; s <= last; s++) {
            int sum = 0;
            for (ApiStats a : apis) {
              sum += a.at(s);
            }
            peak = Math.max(peak, sum);
          }
          double refill = apis.get(0).limit == null ? 0 : apis.get(0).limit.refillPerSecond();
          out.add(new BucketUse(bucket, (double) calls / seconds, peak, refill, calls, throttled));
        });
    return out;
  }

  static final String CSV_HEADER =
      "scenario,hosts,seed,convergence_p50_s,convergence_p99_s,convergence_max_s,max_out_by_agents,"
          + "allowed,max_out_total,throttled_calls,throttled_deploy_failures,bad_digest_hosts,"
          + "run_once_completed,violations,died,spot_notices,agent_restarts,survivors,tick_errors,"
          + "virtual_s,wall_ms,cpu_ms,events,bucket_use";

  static String csvRow(SimResult r) {
    StringBuilder buckets = new StringBuilder();
    for (BucketUse b : buckets(r)) {
      if (buckets.length() > 0) {
        buckets.append(' ');
      }
      buckets.append(
          String.format(
              Locale.ROOT,
              "%s=%.2f/%d/%.0f/%d",
              b.bucket(),
              b.mean(),
              b.peak(),
              b.refill(),
              b.throttled()));
    }
    return String.join(
        ",",
        r.scenario.name(),
        Integer.toString(r.scenario.hosts()),
        Long.toString(r.seed),
        num(r.convergenceSeconds(0.5)),
        num(r.convergenceSeconds(0.99)),
        num(r.convergenceSeconds(1.0)),
        Integer.toString(r.maxOutByAgents),
        Integer.toString(r.allowed),
        Integer.toString(r.maxOutTotal),
        Long.toString(r.throttledCalls()),
        Integer.toString(r.throttledFailures),
        Integer.toString(r.badDigestHosts),
        Integer.toString(r.runOnceCompleted),
        Long.toString(r.violations),
        Integer.toString(r.died),
        Integer.toString(r.spotNotices),
        Integer.toString(r.agentRestarts),
        Integer.toString(r.survivors),
        Long.toString(r.tickErrors),
        Integer.toString(r.virtualSeconds),
        Long.toString(r.wallMillis),
        Long.toString(r.cpuMillis),
        Long.toString(r.events),
        "\"" + buckets + "\"");
  }

  private static String num(double v) {
    return v < 0 ? "" : String.format(Locale.ROOT, "%.1f", v);
  }

  /** The markdown summary of the runs of one scenario and fleet size. */
  static String markdown(List<SimResult> runs) {
    SimResult first = runs.get(0);
    List<Long> all = new ArrayList<>();
    long violations = 0;
    int maxOut = 0;
    int maxTotal = 0;
    int bad = 0;
    long throttled = 0;
    long calls = 0;
    int throttledFailures = 0;
    long wallMax = 0;
    long wallSum = 0;
    long cpuMax = 0;
    for (SimResult r : runs) {
      all.addAll(r.convergence);
      violations += r.violations;
      maxOut = Math.max(maxOut, r.maxOutByAgents);
      maxTotal = Math.max(maxTotal, r.maxOutTotal);
      bad = Math.max(bad, r.badDigestHosts);
      throttled += r.throttledCalls();
      calls += r.api.stream().mapToLong(a -> a.calls).sum();
      throttledFailures += r.throttledFailures;
      wallMax = Math.max(wallMax, r.wallMillis);
      wallSum += r.wallMillis;
      cpuMax = Math.max(cpuMax, r.cpuMillis);
    }
    SimResult pooled = new SimResult(first.scenario, first.seed);
    pooled.convergence.addAll(all);
    StringBuilder md = new StringBuilder();
    Scenario s = first.scenario;
    md.append(
        String.format(
            Locale.ROOT,
            "### %s, %d hosts (%d seed%s)%n%n",
            s.name(),
            s.hosts(),
            runs.size(),
            runs.size() == 1 ? "" : "s"));
    md.append(
        String.format(
            Locale.ROOT,
            "maxUnavailable %d%% (%d hosts), lag 0-%.0f s, skew ±%.0f s, scale-out %.0f%%, deaths %.0f%%, spot notices %.0f%%, agent restarts %.0f%%, bad digest: %s%n%n",
            s.maxUnavailablePercent(),
            first.allowed,
            s.lagMillis() / 1000.0,
            s.skewMillis() / 1000.0,
            100 * s.scaleOut(),
            100 * s.deaths(),
            100 * s.spotNotices(),
            100 * s.agentRestarts(),
            s.badDigest() ? "yes" : "no"));
    md.append("| measure | value |\n| --- | --- |\n");
    md.append(
        row(
            "convergence from the pin, p50 / p99 / max",
            all.isEmpty()
                ? "n/a (fleet kept the old digest)"
                : String.format(
                    Locale.ROOT,
                    "%.0f s / %.0f s / %.0f s",
                    pooled.convergenceSeconds(0.5),
                    pooled.convergenceSeconds(0.99),
                    pooled.convergenceSeconds(1.0))));
    md.append(
        row(
            "most hosts out of service at once, by agents (allowed)",
            maxOut + " (" + first.allowed + ")"));
    md.append(
        row(
            "most hosts out of service at once, incl. dead, evacuating, joining",
            Integer.toString(maxTotal)));
    md.append(
        row(
            "times deaths shrank the group below the hosts already out",
            Integer.toString(runs.stream().mapToInt(r -> r.floorShrunk).sum())));
    md.append(
        row(
            "throttled calls (of all calls)",
            String.format(
                Locale.ROOT,
                "%d of %d (%.2f%%)",
                throttled,
                calls,
                calls == 0 ? 0 : 100.0 * throttled / calls)));
    md.append(row("deploys failed by throttling", Integer.toString(throttledFailures)));
    md.append(
        row(
            "registration calls served, targets per call, landed late (first seed)",
            String.format(
                Locale.ROOT,
                "%d, %.2f, %d",
                first.registrationCalls,
                first.registrationCalls == 0
                    ? 0
                    : (double) first.registrationTargets / first.registrationCalls,
                first.lateCalls)));
    md.append(row("deploy outcomes, first seed", first.outcomes.toString()));
    if (s.badDigest()) {
      md.append(row("hosts the bad digest reached", bad + " (allowed " + first.allowed + ")"));
    }
    md.append(row("invariant violations", Long.toString(violations)));
    md.append(
        row(
            "wall time per run, mean / max (CPU max)",
            String.format(
                Locale.ROOT,
                "%.1f s / %.1f s (%.1f s)",
                wallSum / 1000.0 / runs.size(),
                wallMax / 1000.0,
                cpuMax / 1000.0)));
    md.append(
        "\nAPI use, first seed: calls a second over the run, attempted (throttled ones included) and served,"
            + " against the bucket's refill rate; peak is the busiest second's attempts:\n\n");
    md.append(
        "| bucket | attempted | served | served / refill | peak | refill | throttled |\n"
            + "| --- | --- | --- | --- | --- | --- | --- |\n");
    int seconds = Math.max(1, first.virtualSeconds);
    for (BucketUse b : buckets(first)) {
      double served = b.mean() - (double) b.throttled() / seconds;
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.2f | %.2f | %.0f%% | %d | %.0f | %d |%n",
              b.bucket(),
              b.mean(),
              served,
              b.refill() == 0 ? 0 : 100 * served / b.refill(),
              b.peak(),
              b.refill(),
              b.throttled()));
    }
    md.append(
        "\nThe same calls by API, first seed (which call fills a bucket):\n\n"
            + "| API | bucket | calls | a second | throttled |\n| --- | --- | --- | --- | --- |\n");
    first.api.stream()
        .sorted(java.util.Comparator.comparingLong((ApiStats a) -> a.calls).reversed())
        .forEach(
            a ->
                md.append(
                    String.format(
                        Locale.ROOT,
                        "| %s | %s | %d | %.2f | %d |%n",
                        a.api,
                        a.limit == null ? "–" : a.limit.name(),
                        a.calls,
                        (double) a.calls / seconds,
                        a.throttled)));
    List<String> samples = new ArrayList<>();
    for (SimResult r : runs) {
      for (String v : r.violationSamples) {
        if (samples.size() < 10) {
          samples.add("seed " + r.seed + ": " + v);
        }
      }
    }
    if (!samples.isEmpty()) {
      md.append("\nFirst violations:\n\n");
      samples.forEach(v -> md.append("- ").append(v).append('\n'));
    }
    md.append('\n');
    return md.toString();
  }

  private static String row(String measure, String value) {
    return "| " + measure + " | " + value + " |\n";
  }

  /**
   * Writes the time series and CDF of {@code r} and a gnuplot script drawing {@code
   * <base>-timeline.svg} and {@code <base>-cdf.svg}.
   */
  static void plots(SimResult r, Path dir, String base) throws IOException {
    StringBuilder series =
        new StringBuilder("# t_s alive in_service on_new out_agents out_other\n");
    for (long[] p : r.series) {
      series.append(
          String.format(
              Locale.ROOT,
              "%.0f %d %d %d %d %d%n",
              (p[0] - r.pinAt) / 1000.0,
              p[1],
              p[2],
              p[3],
              p[4],
              p[5]));
    }
    Files.writeString(dir.resolve(base + "-timeline.dat"), series, StandardCharsets.UTF_8);
    List<Long> sorted = new ArrayList<>(r.convergence);
    sorted.sort(null);
    StringBuilder cdf = new StringBuilder("# convergence_s fraction\n");
    for (int i = 0; i < sorted.size(); i++) {
      cdf.append(
          String.format(
              Locale.ROOT, "%.1f %.5f%n", sorted.get(i) / 1000.0, (i + 1.0) / sorted.size()));
    }
    Files.writeString(dir.resolve(base + "-cdf.dat"), cdf, StandardCharsets.UTF_8);
    String title = r.scenario.name() + ", " + r.scenario.hosts() + " hosts, seed " + r.seed;
    String gp =
        "set terminal svg size 900,420 dynamic background rgb 'white'\n"
            + "set datafile commentschars '#'\n"
            + "set key below\nset grid\n"
            + "set output '"
            + base
            + "-timeline.svg'\n"
            + "set title '"
            + title
            + ": hosts over virtual time (0 = the pin)'\n"
            + "set xlabel 'seconds after the pin'\nset ylabel 'hosts'\n"
            + "plot '"
            + base
            + "-timeline.dat' using 1:3 with lines lw 2 title 'in service', "
            + "'' using 1:4 with lines lw 2 title 'on the new digest', "
            + "'' using 1:5 with lines title 'out by agents', "
            + "'' using 1:6 with lines title 'out: dead, evacuating, joining'\n"
            + (sorted.isEmpty()
                ? ""
                : "set output '"
                    + base
                    + "-cdf.svg'\n"
                    + "set title '"
                    + title
                    + ": convergence CDF'\n"
                    + "set xlabel 'seconds from the pin until the host serves the new digest'\n"
                    + "set ylabel 'share of hosts'\nset yrange [0:1]\n"
                    + "plot '"
                    + base
                    + "-cdf.dat' using 1:2 with steps lw 2 title 'hosts converged'\n");
    Files.writeString(dir.resolve(base + ".gp"), gp, StandardCharsets.UTF_8);
  }
}
