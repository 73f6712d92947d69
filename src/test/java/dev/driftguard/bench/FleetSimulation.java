package dev.driftguard.bench;

import dev.driftguard.config.FleetSettings;
import dev.driftguard.sim.FleetSim;
import dev.driftguard.sim.ModelAgent;
import dev.driftguard.sim.ReconcileLoopHost;
import dev.driftguard.sim.Scenario;
import dev.driftguard.sim.SimAws;
import dev.driftguard.sim.SimHost;
import dev.driftguard.sim.SimReports;
import dev.driftguard.sim.SimResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fleet simulator's command ({@code test/bench/fleet-sim}): runs scenarios of issue 10 for
 * fleet sizes and seeds in virtual time and writes the report (docs/design/fleet-at-scale.md).
 * Exits 1 when any run breaks an invariant.
 *
 * <pre>
 * java -cp TEST_CLASSPATH dev.driftguard.bench.FleetSimulation --scenario good|bad|scale-out|deaths|stress|all
 *     --hosts 100,1000 --seeds 3 [--first-seed 1] --out DIR [--agent loop|model] [--lease dynamodb|ssm] [--run-once]
 *     [--elb-registration shared|separate] [--elb-registrations-per-second N]
 * </pre>
 *
 * <p>{@code --elb-registrations-per-second} is the agents' {@code
 * agent.fleet.elbRegistrationsPerSecond} (default: the shipped default).
 */
public final class FleetSimulation {
  private FleetSimulation() {}

  public static void main(String[] args) throws Exception {
    List<String> scenarios = List.of("good");
    List<Integer> hosts = List.of(100);
    int seeds = 1;
    long firstSeed = 1;
    Path out = Path.of("target/fleet-sim");
    String agent = "loop";
    String lease = "dynamodb";
    boolean runOnce = false;
    boolean sharedRegistration = true;
    int registrationBudget = FleetSettings.defaults().elbRegistrationsPerSecond();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (option) {
        case "--scenario" ->
            scenarios = value.equals("all") ? Scenario.NAMES : List.of(value.split(","));
        case "--hosts" -> {
          List<Integer> h = new ArrayList<>();
          for (String s : value.split(",")) {
            h.add(Integer.parseInt(s.strip()));
          }
          hosts = h;
        }
        case "--seeds" -> seeds = Integer.parseInt(value);
        case "--first-seed" -> firstSeed = Long.parseLong(value);
        case "--out" -> out = Path.of(value);
        case "--agent" -> agent = value;
        case "--lease" -> lease = value;
        case "--elb-registration" ->
            sharedRegistration =
                switch (value) {
                  case "shared" -> true;
                  case "separate" -> false;
                  default ->
                      throw new IllegalArgumentException(
                          "unknown --elb-registration " + value + "; known: shared, separate");
                };
        case "--elb-registrations-per-second" -> registrationBudget = Integer.parseInt(value);
        case "--run-once" -> {
          runOnce = true;
          i--;
        }
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
      i++;
    }
    Files.createDirectories(out);
    // Thousands of agents log in one process: keep errors only, or the run is a log writer.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.driftguard"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    SimHost.Factory factory = factory(agent, lease, runOnce, registrationBudget);
    SimReports report =
        new SimReports(
            out,
            agent
                + ", lease "
                + lease
                + (runOnce ? ", run-once" : "")
                + (sharedRegistration
                    ? ", ELBv2 RegisterTargets and DeregisterTargets in one shared bucket"
                    : ", ELBv2 RegisterTargets and DeregisterTargets in one bucket each")
                + (agent.equals("loop")
                    ? ", agents' elbRegistrationsPerSecond " + registrationBudget
                    : ""));
    long violations = 0;
    for (String name : scenarios) {
      for (int n : hosts) {
        List<SimResult> runs = new ArrayList<>();
        for (int s = 0; s < seeds; s++) {
          SimResult r =
              new FleetSim(
                      Scenario.named(name, n),
                      firstSeed + s,
                      factory,
                      SimAws.defaultLimits(sharedRegistration))
                  .run();
          runs.add(r);
          violations += r.violations();
          System.out.println(SimReports.oneLine(r));
        }
        report.add(runs);
      }
    }
    report.write();
    System.out.printf(
        Locale.ROOT, "report: %s (%d violation(s))%n", out.resolve("report.md"), violations);
    if (violations > 0) {
      System.exit(1);
    }
  }

  static SimHost.Factory factory(
      String agent, String lease, boolean runOnce, int registrationBudget) {
    if (agent.equals("loop")) {
      return w -> new ReconcileLoopHost(w, registrationBudget);
    }
    if (!agent.equals("model")) {
      throw new IllegalArgumentException("unknown agent " + agent + "; known: loop, model");
    }
    return switch (lease) {
      case "dynamodb" -> w -> new ModelAgent(w, ModelAgent::dynamoDb, runOnce);
      case "ssm" -> w -> new ModelAgent(w, ModelAgent::ssm, runOnce);
      default ->
          throw new IllegalArgumentException("unknown lease " + lease + "; known: dynamodb, ssm");
    };
  }
}
