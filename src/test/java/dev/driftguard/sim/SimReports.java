package dev.driftguard.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Collects the runs of a simulator invocation and writes report.md, runs.csv and the plots. */
public final class SimReports {
  private final Path dir;
  private final String agent;
  private final List<List<SimResult>> groups = new ArrayList<>();

  public SimReports(Path dir, String agent) {
    this.dir = dir;
    this.agent = agent;
  }

  public void add(List<SimResult> runs) {
    groups.add(runs);
  }

  /** One line per run for the console. */
  public static String oneLine(SimResult r) {
    return String.format(
        Locale.ROOT,
        "%-9s hosts=%-5d seed=%-4d converged p50=%.0fs p99=%.0fs max=%.0fs maxOut=%d/%d throttled=%d violations=%d wall=%.1fs cpu=%.1fs events=%d%s",
        r.scenario.name(),
        r.scenario.hosts(),
        r.seed,
        r.convergenceSeconds(0.5),
        r.convergenceSeconds(0.99),
        r.convergenceSeconds(1.0),
        r.maxOutByAgents,
        r.allowed,
        r.throttledCalls(),
        r.violations,
        r.wallMillis / 1000.0,
        r.cpuMillis / 1000.0,
        r.events,
        r.violations > 0 ? " first: " + r.violationSamples.get(0) : "");
  }

  public void write() throws IOException {
    StringBuilder csv = new StringBuilder(SimReport.CSV_HEADER).append('\n');
    StringBuilder md = new StringBuilder("# Fleet simulation report\n\n");
    md.append("Agent: ")
        .append(agent)
        .append(
            ". Virtual time; AWS default limits; the model and its sources are in docs/design/fleet-at-scale.md.\n\n");
    for (List<SimResult> runs : groups) {
      for (SimResult r : runs) {
        csv.append(SimReport.csvRow(r)).append('\n');
      }
      md.append(SimReport.markdown(runs));
      SimResult first = runs.get(0);
      String base = first.scenario.name() + "-" + first.scenario.hosts();
      SimReport.plots(first, dir, base);
      md.append("![").append(base).append(" timeline](").append(base).append("-timeline.svg)\n");
      if (!first.convergence.isEmpty()) {
        md.append("![").append(base).append(" convergence](").append(base).append("-cdf.svg)\n");
      }
      md.append('\n');
    }
    Files.writeString(dir.resolve("runs.csv"), csv, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("report.md"), md, StandardCharsets.UTF_8);
  }
}
