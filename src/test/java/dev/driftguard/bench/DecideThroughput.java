package dev.driftguard.bench;

import dev.driftguard.desired.DesiredStateSource;
import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.StandaloneFleet;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.metrics.AgentMetrics;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Labels;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.model.TargetState;
import dev.driftguard.reconcile.Action;
import dev.driftguard.reconcile.CapacityFloor;
import dev.driftguard.reconcile.ReconcileListener;
import dev.driftguard.reconcile.ReconcileLoop;
import dev.driftguard.reconcile.Reconciler;
import dev.driftguard.reconcile.StateBook;
import dev.driftguard.registry.RegistryAuth;
import dev.driftguard.testing.FakeContainerRuntime;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.InMemoryStateStore;
import dev.driftguard.testing.Specs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.IntSupplier;

/**
 * How fast the agent's pure decisions and its loop are on this machine: calls per second of {@link
 * Reconciler#decide} and {@link CapacityFloor#decide}, and the cost of one {@link
 * ReconcileLoop#runOnce} pass over the fake engine (no Docker, no AWS: the loop's own overhead). A
 * plain {@code main}, not a test: run it with {@code test/bench/decide-throughput}, which puts the
 * test classpath together. Results: docs/benchmarks.md.
 *
 * <p>Each case is warmed up, then timed in several fixed-length iterations; the report gives the
 * mean rate and the spread between iterations.
 *
 * <pre>
 * java -cp TEST_CLASSPATH dev.driftguard.bench.DecideThroughput [--warmup-ms N] [--iteration-ms N]
 *     [--iterations N] [--only NAME]
 * </pre>
 */
public final class DecideThroughput {
  private static final ServiceSpec WEB = Specs.web();
  private static final ImageRef V1 = Specs.image('1');
  private static final ImageRef V2 = Specs.image('2');
  private static final RolloutSpec ONE =
      new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 1, false, true, 0);
  private static final RolloutSpec QUARTER =
      new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, 25, true, true, 0);
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration SETTLE = Duration.ofSeconds(2);

  /** Keeps results alive so the JIT cannot drop the work. */
  private static volatile int sink;

  private DecideThroughput() {}

  /** One case: {@code op} does one call and returns something derived from its result. */
  private record Case(String name, String what, IntSupplier op) {}

  public static void main(String[] args) throws Exception {
    long warmupMs = 1500;
    long iterationMs = 500;
    int iterations = 6;
    String only = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--warmup-ms" -> warmupMs = Long.parseLong(args[++i]);
        case "--iteration-ms" -> iterationMs = Long.parseLong(args[++i]);
        case "--iterations" -> iterations = Integer.parseInt(args[++i]);
        case "--only" -> only = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (warmupMs > 10_000 || iterationMs > 5_000 || iterations > 20) {
      throw new IllegalArgumentException(
          "keep it short: warm-up <= 10 s, iterations <= 20 of <= 5 s");
    }
    List<Case> cases = cases();
    System.out.printf(
        Locale.ROOT,
        "# decide throughput: warm-up %d ms, %d iterations of %d ms; JVM %s, %s%n",
        warmupMs,
        iterations,
        iterationMs,
        System.getProperty("java.vm.version"),
        String.join(
            " ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
    System.out.println(
        "| case | what | calls/s (mean) | spread (min-max calls/s) | rel. stdev | ns/call |");
    System.out.println("| --- | --- | --- | --- | --- | --- |");
    for (Case c : cases) {
      if (only != null && !c.name().equals(only)) {
        continue;
      }
      run(c, warmupMs, iterationMs, iterations);
    }
  }

  private static void run(Case c, long warmupMs, long iterationMs, int iterations) {
    measure(c.op(), warmupMs);
    double[] rates = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      rates[i] = measure(c.op(), iterationMs);
    }
    double mean = 0;
    double min = Double.MAX_VALUE;
    double max = 0;
    for (double r : rates) {
      mean += r / iterations;
      min = Math.min(min, r);
      max = Math.max(max, r);
    }
    double var = 0;
    for (double r : rates) {
      var += (r - mean) * (r - mean) / Math.max(1, iterations - 1);
    }
    System.out.printf(
        Locale.ROOT,
        "| %s | %s | %s | %s-%s | %.1f%% | %.0f |%n",
        c.name(),
        c.what(),
        human(mean),
        human(min),
        human(max),
        100 * Math.sqrt(var) / mean,
        1e9 / mean);
  }

  /** Calls {@code op} in batches until {@code millis} have passed; returns calls per second. */
  private static double measure(IntSupplier op, long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000;
    long start = System.nanoTime();
    long calls = 0;
    int acc = 0;
    long now;
    int batch = 1;
    do {
      for (int i = 0; i < batch; i++) {
        acc += op.getAsInt();
      }
      calls += batch;
      now = System.nanoTime();
      if (batch < 4096) {
        batch *= 2;
      }
    } while (now < deadline);
    sink += acc;
    return calls / ((now - start) / 1e9);
  }

  private static String human(double rate) {
    if (rate >= 1e6) {
      return String.format(Locale.ROOT, "%.2f M", rate / 1e6);
    }
    if (rate >= 1e3) {
      return String.format(Locale.ROOT, "%.1f k", rate / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", rate);
  }

  private static List<Case> cases() throws InterruptedException {
    List<Case> cases = new ArrayList<>();

    // Reconciler.decide: the steady state (in sync), and a mix of every kind of answer.
    ObservedService inSync = observed(running(V1), ServiceState.initial("web"));
    DesiredState pinnedV1 = new DesiredState.Pinned(V1, 1);
    cases.add(
        new Case(
            "reconciler-in-sync",
            "decide: running the pinned digest, healthy",
            () -> Reconciler.decide(WEB, pinnedV1, inSync).hashCode()));
    List<DesiredState> desired = new ArrayList<>();
    List<ObservedService> observed = new ArrayList<>();
    desired.add(pinnedV1);
    observed.add(inSync);
    desired.add(new DesiredState.Pinned(V2, 2)); // digest drift: deploy
    observed.add(inSync);
    desired.add(pinnedV1); // no container: deploy missing
    observed.add(observed(null, ServiceState.initial("web")));
    desired.add(pinnedV1); // exited: restart
    observed.add(
        observed(
            container(V1, ContainerInfo.State.EXITED, ContainerInfo.Health.NONE),
            ServiceState.initial("web")));
    desired.add(
        new DesiredState.Rejected(
            DesiredState.RejectReason.TAG_WITHOUT_DIGEST, "not pinned", "f")); // hold
    observed.add(inSync);
    desired.add(pinnedV1); // mid-deploy: resume
    observed.add(
        observed(running(V1), ServiceState.initial("web").inPhase(Phase.HEALTH, V1, null, NOW)));
    int[] next = {0};
    cases.add(
        new Case(
            "reconciler-mixed",
            "decide: in sync, drift, missing, exited, rejected, resume in turn",
            () -> {
              int i = next[0];
              next[0] = i == desired.size() - 1 ? 0 : i + 1;
              Action a = Reconciler.decide(WEB, desired.get(i), observed.get(i));
              return a.getClass().hashCode();
            }));

    // CapacityFloor.decide: a small group, and a large one with a few hosts busy.
    List<PeerTarget> four = fleet(4, 0);
    cases.add(
        new Case(
            "capacity-4-hosts",
            "4 targets healthy, maxUnavailable 1",
            () -> CapacityFloor.decide("i-0001", four, ONE).outOfService()));
    List<PeerTarget> fifty = fleet(50, 3);
    cases.add(
        new Case(
            "capacity-50-hosts",
            "50 targets (3 draining), maxUnavailable 25%",
            () -> CapacityFloor.decide("i-0012", fifty, QUARTER).outOfService()));

    // ReconcileLoop.runOnce over the fake engine, every service in sync: the per-pass overhead.
    ReconcileLoop one = inSyncLoop(1, false);
    cases.add(
        new Case(
            "loop-pass-1-service", "runOnce, 1 service in sync, no-op listener", () -> pass(one)));
    ReconcileLoop oneMetered = inSyncLoop(1, true);
    cases.add(
        new Case(
            "loop-pass-1-service-metrics",
            "runOnce, 1 service in sync, the agent's metrics listener",
            () -> pass(oneMetered)));
    ReconcileLoop ten = inSyncLoop(10, true);
    cases.add(
        new Case(
            "loop-pass-10-services",
            "runOnce, 10 services in sync, the agent's metrics listener",
            () -> pass(ten)));
    return cases;
  }

  private static int pass(ReconcileLoop loop) {
    try {
      ReconcileLoop.PassResult result = loop.runOnce();
      if (!result.allInSync()) {
        throw new IllegalStateException("benchmark loop fell out of sync: " + result);
      }
      return result.actions().size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static ContainerInfo running(ImageRef image) {
    return container(image, ContainerInfo.State.RUNNING, ContainerInfo.Health.HEALTHY);
  }

  private static ContainerInfo container(
      ImageRef image, ContainerInfo.State state, ContainerInfo.Health health) {
    Map<String, String> labels =
        Map.of(
            Labels.SERVICE,
            "web",
            Labels.DIGEST,
            image.digest().value(),
            Labels.SPEC_HASH,
            RunSpec.specHashOf(WEB.container()),
            Labels.IMAGE,
            image.pinned());
    return new ContainerInfo("id", "web", "img", labels, state, health, 0, 0, Instant.EPOCH);
  }

  private static ObservedService observed(ContainerInfo current, ServiceState state) {
    return new ObservedService(current, null, null, state, 0);
  }

  private static List<PeerTarget> fleet(int hosts, int draining) {
    List<PeerTarget> targets = new ArrayList<>();
    for (int i = 1; i <= hosts; i++) {
      targets.add(
          new PeerTarget(
              String.format("i-%04d", i),
              80,
              i > hosts - draining ? TargetState.DRAINING : TargetState.HEALTHY));
    }
    return targets;
  }

  /**
   * The real loop and deployer over the fake engine and virtual time, with {@code services}
   * services deployed and past their stabilisation time, so each pass also runs the image janitor,
   * as a host's steady state does.
   */
  private static ReconcileLoop inSyncLoop(int services, boolean metered)
      throws InterruptedException {
    FakeTime time = FakeTime.startingAt("2026-01-01T00:00:00Z");
    FakeContainerRuntime runtime = new FakeContainerRuntime(time);
    runtime.publish(V1, FakeContainerRuntime.Behaviour.HEALTHY);
    Map<String, String> ssm = new HashMap<>();
    List<ServiceSpec> specs = new ArrayList<>();
    for (int i = 0; i < services; i++) {
      ServiceSpec s = Specs.service("web" + i, Specs.container(), true);
      specs.add(s);
      ssm.put(((DesiredSource.Ssm) s.desired()).parameterName(), V1.toString());
    }
    DesiredStateSource source =
        new DesiredStateSource() {
          @Override
          public Map<String, RawRecord> read(Collection<String> locations) {
            Map<String, RawRecord> out = new HashMap<>();
            for (String l : locations) {
              String v = ssm.get(l);
              if (v != null) {
                out.put(l, new RawRecord(v, 1));
              }
            }
            return out;
          }
        };
    RegistryAuth auth =
        new RegistryAuth() {
          @Override
          public Optional<RegistryCredential> credentialFor(String registry) {
            return Optional.empty();
          }

          @Override
          public void invalidate(String registry) {}
        };
    HealthCheck.Factory checks =
        type ->
            (c, cs, hs) ->
                c.health() == ContainerInfo.Health.HEALTHY
                    ? HealthCheck.ProbeResult.pass("healthy")
                    : HealthCheck.ProbeResult.fail(c.health().name());
    ReconcileListener listener =
        metered
            ? new AgentMetrics(specs.stream().map(ServiceSpec::name).toList())
            : new ReconcileListener() {};
    StateBook states = new StateBook(new InMemoryStateStore());
    ReconcileLoop loop =
        ReconcileLoop.builder()
            .services(specs)
            .sources(
                Map.<Class<? extends DesiredSource>, DesiredStateSource>of(
                    DesiredSource.Ssm.class, source))
            .runtime(runtime)
            .registryAuth(auth)
            .secrets(names -> Map.of())
            .fleet(new StandaloneFleet())
            .instanceId("i-0000000000000001")
            .healthChecks(checks)
            .states(states)
            .listener(listener)
            .clock(time)
            .sleeper(time)
            .random(new Random(7))
            .pollInterval(Duration.ofSeconds(15))
            .stabilisation(Duration.ofSeconds(60))
            .keepImages(1)
            .build();
    loop.runOnce(); // deploys every service
    time.advance(Duration.ofMinutes(2)); // past stabilisation: the janitor runs on every pass
    if (!loop.runOnce().allInSync()) {
      throw new IllegalStateException("benchmark services did not converge");
    }
    return loop;
  }
}
