package dev.driftguard.bench;

import dev.driftguard.model.ImageRef;
import dev.driftguard.testing.TestEnv;
import dev.driftguard.testing.aws.Ec2Service;
import dev.driftguard.testing.aws.LocalAws;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real agent's footprint and speed, variants side by side in one run (docs/benchmarks.md,
 * "Footprint and speed, side by side"). Driven by {@code test/bench/agent-bench}, which builds the
 * trees and the classpath; this class needs {@code test/env/up} and root (it reads {@code /proc}).
 *
 * <p>Every agent is the launcher of a tree ({@code agent/bin/driftguard} with that tree's {@code
 * agent/etc/jvm.options} and {@code target/driftguard.jar}), so a variant is a build plus the
 * options and AppCDS mode it runs with. In the production shape each agent is its own EC2 instance
 * of the in-process {@link LocalAws}: IMDSv2 server, Name tag, SSM parameter, its own target group
 * (with real health checks), fleet coordination on EC2 tags; in local mode a desired-state file.
 *
 * <p>Measures (each a phase of one invocation; the variants of a phase run at the same time, so the
 * machine's load hits them alike and the ratios hold even when the absolute numbers move):
 *
 * <ul>
 *   <li>{@code deploys}: from an empty host, the first deploy, then {@code --deploys} more
 *       (alternating v1/v2, all agents at once), then an idle in-sync window: steady RSS, peak,
 *       threads, fds, CPU per in-sync pass, per deploy the agent's CPU and its wall time outside
 *       the phases it waits in. The hand-made baseline ({@code aws ssm get-parameter} + {@code
 *       docker inspect} + {@code curl} health check) runs in the same idle window.
 *   <li>{@code startup}: {@code run} from exec to the first completed pass, in sync, round robin
 *       over the variants, {@code --runs} times; and to the first decision, as the agent counts it
 *       ({@code driftguard_startup_seconds}; builds before it have no such gauge).
 *   <li>{@code soak}: one agent, a deploy every {@code --soak-every}, for {@code --soak-minutes}:
 *       RSS, threads and fds over time.
 * </ul>
 */
public final class AgentBench {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final long HZ = 100; // USER_HZ on Linux; the wrapper checks getconf CLK_TCK.
  private static final Pattern SAMPLE_LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)");

  private final Options options;
  private final TestEnv env = TestEnv.load();
  private final LocalAws aws;
  private final PrintStream report;
  private final List<BenchAgent> running = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "bench-sampler");
            t.setDaemon(true);
            return t;
          });

  private AgentBench(Options options, PrintStream report) {
    this.options = options;
    this.report = report;
    this.aws = LocalAws.builder().registryPasswordFromTestEnv().start();
    aws.ecr().registerTestEnvImages();
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Files.createDirectories(options.out);
    int status;
    try (PrintStream report =
        new PrintStream(Files.newOutputStream(options.out.resolve("report.md")), true, "UTF-8")) {
      AgentBench bench = new AgentBench(options, report);
      Runtime.getRuntime().addShutdownHook(new Thread(bench::stopAll, "bench-cleanup"));
      try {
        status = bench.run();
      } finally {
        bench.stopAll();
        bench.aws.close();
      }
    }
    System.exit(status);
  }

  private int run() throws Exception {
    say("# driftguard agent benchmark (%s shape)".formatted(options.shape));
    say("");
    say("```");
    machine().forEach(this::say);
    say("variants: " + options.variants.stream().map(Variant::describe).toList());
    say("```");
    int failures = 0;
    for (String measure : options.measures) {
      switch (measure) {
        case "deploys" -> deploys();
        case "startup" -> startup();
        case "soak" -> failures += soak();
        case "hold" -> hold();
        default -> throw new IllegalArgumentException("unknown measure " + measure);
      }
    }
    say("");
    say("raw data: " + options.out);
    return failures == 0 ? 0 : 1;
  }

  // ------------------------------------------------------------------ deploys, RSS, CPU per pass

  private void deploys() throws Exception {
    List<BenchAgent> agents = startAll("deploys", "d");
    // The first deploy: an empty host converges to v1.
    for (BenchAgent a : agents) {
      a.awaitInSync(0, Duration.ofSeconds(180));
      a.mark("first-deploy-done");
    }
    String version = "v1";
    for (int i = 1; i <= options.deploys; i++) {
      version = version.equals("v1") ? "v2" : "v1";
      for (BenchAgent a : agents) {
        a.mark("pin-" + i);
        a.pin(version);
      }
      for (BenchAgent a : agents) {
        a.awaitInSync(i, Duration.ofSeconds(180));
        a.mark("done-" + i);
      }
    }
    // Settle, then an idle window: in sync, nothing to do.
    sleep(Duration.ofSeconds(10));
    Map<BenchAgent, Scrape> before = new LinkedHashMap<>();
    for (BenchAgent a : agents) {
      a.mark("idle-start");
      before.put(a, a.scrape());
    }
    Baseline baseline = options.baseline ? Baseline.start(this, agents.get(0)) : null;
    sleep(options.idle);
    if (baseline != null) {
      baseline.stop();
    }
    Map<BenchAgent, Scrape> after = new LinkedHashMap<>();
    for (BenchAgent a : agents) {
      a.mark("idle-end");
      after.put(a, a.scrape());
    }
    for (BenchAgent a : agents) {
      a.stop();
    }
    say("");
    say(
        "## Deploys and idle (%d deploys after the first, then %ds in sync)"
            .formatted(options.deploys, options.idle.toSeconds()));
    say("");
    say(
        "| variant | steady RSS (idle, median) | peak RSS (VmHWM) | RSS after the first deploy"
            + " | threads (idle) | fds (idle) | CPU per in-sync pass | agent CPU per deploy, median"
            + " (min-max) | deploy wall outside its phases, median (min-max) | deploy wall, median |"
            + " classes loaded | heap committed |");
    say("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (BenchAgent a : agents) {
      Scrape s0 = before.get(a);
      Scrape s1 = after.get(a);
      List<Sample> idle = a.samplesBetween("idle-start", "idle-end");
      double passes =
          s1.sum("driftguard_reconcile_passes_total") - s0.sum("driftguard_reconcile_passes_total");
      double cpuIdle = cpuSeconds(idle);
      List<Double> deployCpu = new ArrayList<>();
      List<Double> deployWall = new ArrayList<>();
      for (int i = 1; i <= options.deploys; i++) {
        List<Sample> window = a.samplesBetween("pin-" + i, "done-" + i);
        deployCpu.add(cpuSeconds(window) * 1000);
      }
      List<Double> outside = a.outsidePhases();
      a.deployWalls().forEach(w -> deployWall.add(w * 1000));
      Sample firstDone = a.sampleAt("first-deploy-done");
      say(
          "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f MiB |"
              .formatted(
                  a.variant.name,
                  mib(median(idle.stream().map(x -> (double) x.rssKib).toList())),
                  mib(idle.isEmpty() ? 0 : idle.get(idle.size() - 1).hwmKib),
                  firstDone == null ? "-" : mib(firstDone.rssKib),
                  range(idle.stream().map(x -> (double) x.threads).toList(), "%.0f"),
                  range(idle.stream().map(x -> (double) x.fds).toList(), "%.0f"),
                  passes > 0
                      ? "%.1f ms (%.0f passes)".formatted(cpuIdle * 1000 / passes, passes)
                      : "-",
                  stat(deployCpu, "%.0f ms"),
                  stat(outside, "%.0f ms"),
                  stat(deployWall, "%.0f ms"),
                  s1.sum("jvm_classes_loaded_classes"),
                  s1.sum("jvm_memory_committed_bytes", "area=\"heap\"") / 1048576));
    }
    if (baseline != null) {
      say(
          "| hand-made baseline (`aws ssm get-parameter` + `docker inspect` + `curl`, %s) | - | - | -"
                  .formatted(baseline.awsVersion)
              + " | - | - | %.0f ms per poll (%d polls) | - | - | - | - | - |"
                  .formatted(baseline.cpuMillisPerPoll(), baseline.polls));
    }
    say("");
    say("Per deploy (agent CPU ms, from /proc; 10 ms resolution):");
    for (BenchAgent a : agents) {
      List<String> cpu = new ArrayList<>();
      for (int i = 1; i <= options.deploys; i++) {
        cpu.add("%.0f".formatted(cpuSeconds(a.samplesBetween("pin-" + i, "done-" + i)) * 1000));
      }
      say("- %s: %s".formatted(a.variant.name, String.join(" ", cpu)));
    }
    say("");
    say(
        "Phase durations (mean over all deploys, from the agent's driftguard_phase_duration_seconds):");
    for (BenchAgent a : agents) {
      say("- %s: %s".formatted(a.variant.name, a.phaseMeans(after.get(a))));
    }
  }

  // ------------------------------------------------------------------ hold (for jcmd and NMT)

  /**
   * Starts every variant, waits until in sync, prints the pids and keeps them up for the idle time.
   */
  private void hold() throws Exception {
    Path dir = options.out.resolve("hold");
    List<BenchAgent> agents = startAll("hold", "h");
    for (BenchAgent a : agents) {
      a.awaitInSync(0, Duration.ofSeconds(180));
    }
    for (int i = 1; i <= options.deploys; i++) {
      for (BenchAgent a : agents) {
        a.pin(i % 2 == 1 ? "v2" : "v1");
      }
      for (BenchAgent a : agents) {
        a.awaitInSync(i, Duration.ofSeconds(180));
      }
    }
    for (BenchAgent a : agents) {
      say(
          "holding %s: pid %d, metrics 127.0.0.1:%d"
              .formatted(a.variant.name(), a.pid(), a.metricsPort));
    }
    Files.writeString(
        dir.resolve("pids"),
        String.join("\n", agents.stream().map(a -> a.variant.name() + " " + a.pid()).toList())
            + "\n");
    sleep(options.idle);
    for (BenchAgent a : agents) {
      a.stop();
    }
  }

  // ------------------------------------------------------------------ start-up

  private void startup() throws Exception {
    Path dir = options.out.resolve("startup");
    List<BenchAgent> agents = new ArrayList<>();
    for (Variant v : options.variants) {
      agents.add(host(dir, v, "s"));
    }
    // Converge each host to v1 once (no AppCDS, not measured), then prepare each variant's archive.
    for (BenchAgent a : agents) {
      a.startWith(Map.of("DRIFTGUARD_CDS", "off"));
    }
    for (BenchAgent a : agents) {
      a.awaitInSync(0, Duration.ofSeconds(180));
      a.stop();
    }
    for (BenchAgent a : agents) {
      a.prepareCds();
    }
    Map<BenchAgent, List<Double>> firstPass = new LinkedHashMap<>();
    Map<BenchAgent, List<Double>> cpuAtFirstPass = new LinkedHashMap<>();
    // The agent's own count from exec (driftguard_startup_seconds); builds before it have none.
    Map<BenchAgent, List<Double>> firstDecision = new LinkedHashMap<>();
    for (int run = 0; run < options.runs; run++) {
      for (BenchAgent a : agents) {
        a.beforeEachStart();
        long t0 = System.nanoTime();
        a.start();
        boolean passed = a.awaitPasses(1, Duration.ofSeconds(60), Duration.ofMillis(20));
        double seconds = (System.nanoTime() - t0) / 1e9;
        Sample at = a.sampleNow();
        a.stop();
        if (!passed) {
          throw new IllegalStateException(a.variant.name + ": no pass within 60 s; see " + a.log);
        }
        firstPass.computeIfAbsent(a, k -> new ArrayList<>()).add(seconds);
        double decided =
            a.lastScrape == null
                ? Double.NaN
                : a.lastScrape.sum("driftguard_startup_seconds", "milestone=\"first_decision\"");
        if (decided > 0) {
          firstDecision.computeIfAbsent(a, k -> new ArrayList<>()).add(decided);
        }
        cpuAtFirstPass
            .computeIfAbsent(a, k -> new ArrayList<>())
            .add(at == null ? 0 : at.cpuTicks / (double) HZ);
      }
    }
    say("");
    say(
        "## Start-up: `driftguard run`, exec to the first completed pass (in sync), N=%d, round robin"
            .formatted(options.runs));
    say("");
    say(
        "| variant | exec to first decision (agent's gauge), median (min-max) | exec to first pass, median (min-max) | CPU at first pass, median (min-max) | ratio to the first variant (first pass) |");
    say("| --- | --- | --- | --- | --- |");
    double reference = median(firstPass.get(agents.get(0)));
    for (BenchAgent a : agents) {
      say(
          "| %s | %s | %s | %s | %.2f |"
              .formatted(
                  a.variant.name,
                  firstDecision.containsKey(a) ? stat(firstDecision.get(a), "%.2f s") : "n/a",
                  stat(firstPass.get(a), "%.2f s"),
                  stat(cpuAtFirstPass.get(a), "%.2f s"),
                  median(firstPass.get(a)) / reference));
    }
  }

  // ------------------------------------------------------------------ soak

  private int soak() throws Exception {
    Path dir = options.out.resolve("soak");
    BenchAgent a = host(dir, options.variants.get(0), "k");
    a.prepareCds();
    a.start();
    a.awaitInSync(0, Duration.ofSeconds(180));
    a.mark("first-deploy-done");
    Instant end = Instant.now().plus(options.soakMinutes);
    String version = "v1";
    int i = 0;
    List<Sample> cycleStarts = new ArrayList<>();
    while (Instant.now().isBefore(end)) {
      Instant next = Instant.now().plus(options.soakEvery);
      i++;
      version = version.equals("v1") ? "v2" : "v1";
      Sample s = a.sampleNow();
      if (s != null) {
        cycleStarts.add(s);
      }
      a.mark("pin-" + i);
      a.pin(version);
      a.awaitInSync(i, Duration.ofSeconds(120));
      a.mark("done-" + i);
      sleep(Duration.between(Instant.now(), next));
    }
    Sample last = a.sampleNow();
    if (last != null) {
      cycleStarts.add(last);
    }
    a.stop();
    List<Sample> after = a.samplesAfter("first-deploy-done");
    // RSS at the same point of every cycle (just before each pin): the first five after the
    // first deploy against the last five.
    int k = Math.min(5, cycleStarts.size() / 2);
    double early = median(cycleStarts.subList(0, k).stream().map(x -> (double) x.rssKib).toList());
    double late =
        median(
            cycleStarts.subList(cycleStarts.size() - k, cycleStarts.size()).stream()
                .map(x -> (double) x.rssKib)
                .toList());
    double growthMib = (late - early) / 1024;
    List<Double> threads = after.stream().map(x -> (double) x.threads).toList();
    List<Double> fds = after.stream().map(x -> (double) x.fds).toList();
    double maxRssMib = after.stream().mapToLong(x -> x.rssKib).max().orElse(0) / 1024.0;
    say("");
    say(
        "## Soak: %s, %d deploys, one every %ds, %d min"
            .formatted(
                a.variant.name, i, options.soakEvery.toSeconds(), options.soakMinutes.toMinutes()));
    say("");
    say(
        "| RSS before deploys 1-%d (median) | RSS before the last %d (median) | growth | max RSS | threads min-max | fds min-max | deploys | failed deploys |"
            .formatted(k, k));
    say("| --- | --- | --- | --- | --- | --- | --- | --- |");
    Scrape end1 = a.lastScrape;
    double failed =
        end1 == null
            ? -1
            : end1.sum("driftguard_deploys_total")
                - end1.sum("driftguard_deploys_total", "outcome=\"success\"");
    say(
        "| %s | %s | %+.1f MiB | %.0f MiB | %s | %s | %d | %.0f |"
            .formatted(
                mib((long) early),
                mib((long) late),
                growthMib,
                maxRssMib,
                range(threads, "%.0f"),
                range(fds, "%.0f"),
                i,
                failed));
    Path series = dir.resolve("rss-per-cycle.txt");
    Files.write(
        series,
        cycleStarts.stream()
            .map(x -> x.t + " " + x.rssKib + " " + x.threads + " " + x.fds)
            .toList());
    say("RSS, threads and fds before each deploy: " + series);
    int failures = 0;
    if (options.failRssMib > 0) {
      if (maxRssMib > options.failRssMib) {
        say("FAIL: RSS reached %.0f MiB (limit %d MiB)".formatted(maxRssMib, options.failRssMib));
        failures++;
      }
      double threadGrowth =
          threads.isEmpty() ? 0 : threads.get(threads.size() - 1) - threads.get(0);
      double fdGrowth = fds.isEmpty() ? 0 : fds.get(fds.size() - 1) - fds.get(0);
      if (threadGrowth > 10 || fdGrowth > 20) {
        say("FAIL: threads grew by %.0f, fds by %.0f".formatted(threadGrowth, fdGrowth));
        failures++;
      }
      if (failed != 0) {
        say("FAIL: %.0f deploys did not succeed".formatted(failed));
        failures++;
      }
    }
    return failures;
  }

  // ------------------------------------------------------------------ hosts

  /** A host per variant under {@code measure}, each archive prepared, then all started at once. */
  private List<BenchAgent> startAll(String measure, String tag) throws Exception {
    Path dir = options.out.resolve(measure);
    List<BenchAgent> agents = new ArrayList<>();
    for (Variant v : options.variants) {
      agents.add(host(dir, v, tag));
    }
    for (BenchAgent a : agents) {
      a.prepareCds();
    }
    for (BenchAgent a : agents) {
      a.start();
    }
    return agents;
  }

  private int hosts;

  /** One host for variant {@code v}: its fixture in LocalAws (production shape) and its config. */
  private BenchAgent host(Path parent, Variant v, String tag) throws IOException {
    hosts++;
    String service = ("bench-" + tag + hosts + "-" + v.name).replaceAll("[^a-zA-Z0-9_.-]", "-");
    Path dir = parent.resolve(v.name);
    Files.createDirectories(dir.resolve("state"));
    BenchAgent a = new BenchAgent(this, v, service, dir, freePort(), freePort(), freePort());
    docker("rm", "-f", service, service + "-previous", service + "-next");
    if (options.shape.equals("prod")) {
      a.instanceId = Ec2Service.newInstanceId();
      aws.addInstance(a.instanceId, Map.of("Name", service));
      a.imds = aws.imds(a.instanceId).endpoint();
      a.targetGroup =
          aws.createTargetGroup(
              service, "/healthz", 2, 2, Duration.ofMillis(500), Duration.ofSeconds(1));
      a.parameter = "/driftguard/" + service + "/image";
      aws.ssm().put(a.parameter, image("v1").toString());
    } else {
      Files.createDirectories(dir.resolve("desired"));
      Files.writeString(dir.resolve("desired").resolve(service), image("v1") + "\n");
    }
    Files.writeString(a.config(), config(a));
    return a;
  }

  private String config(BenchAgent a) {
    String common =
        """
        # Written by AgentBench (%s shape): one service, HTTP health check.
        agent:
          pollInterval: %ds
          metrics: { listen: "127.0.0.1:%d" }
          status: { listen: "127.0.0.1:%d" }
          stateDir: %s
          docker: { host: "%s" }
        """
            .formatted(
                options.shape,
                options.poll.toSeconds(),
                a.metricsPort,
                a.statusPort,
                a.dir.resolve("state"),
                env.dockerHost());
    String health =
        "health: { type: http, port: 8080, path: /healthz, interval: 500ms, timeout: 400ms,"
            + " healthyThreshold: 2, deadline: 30s }";
    if (options.shape.equals("prod")) {
      String endpoint = aws.endpoint().toString();
      return common
          + """
            aws:
              region: us-east-1
              instanceId: auto
              endpoints: { ssm: "%s", ecr: "%s", ec2: "%s", elbv2: "%s", %simds: "%s" }
          services:
            # The service's name literally: a restarted agent reading its instance's tags through
            # the local IMDS stumbled on its own published-state tags (keys with ':').
            - name: %s
              desired:
                ssmParameter: %s
                allowedRegistries: ["%s"]
              container:
                ports: ["127.0.0.1:%d:8080"]
                stopTimeout: 5s
              %s
              traffic:
                targetGroupArn: %s
                port: %d
              rollout: { strategy: stop-first, maxUnavailable: 1 }
          """
              .formatted(
                  endpoint,
                  endpoint,
                  endpoint,
                  endpoint,
                  a.variant.hasTurnLease() ? "dynamodb: \"" + endpoint + "\", " : "",
                  a.imds,
                  a.service,
                  a.parameter,
                  env.registryHost(),
                  a.appPort,
                  health,
                  a.targetGroup,
                  a.appPort);
    }
    return common
        + """
          aws: { region: us-east-1, instanceId: i-0000000000000b01 }
          registries:
            - host: "%s"
              username: AWS
              passwordFile: %s
        services:
          - name: %s
            desired:
              file: %s
              allowedRegistries: ["%s"]
            container:
              ports: ["127.0.0.1:%d:8080"]
              stopTimeout: 5s
            %s
        """
            .formatted(
                env.registryHost(),
                env.get("registry.password.file"),
                a.service,
                a.dir.resolve("desired").resolve(a.service),
                env.registryHost(),
                a.appPort,
                health);
  }

  ImageRef image(String version) {
    return env.image(version);
  }

  void pin(BenchAgent a, String version) throws IOException {
    if (options.shape.equals("prod")) {
      aws.ssm().put(a.parameter, image(version).toString());
    } else {
      Files.writeString(a.dir.resolve("desired").resolve(a.service), image(version) + "\n");
    }
  }

  void pin(String parameter, String value) {
    aws.ssm().put(parameter, value);
  }

  Map<String, String> awsEnv() {
    return Map.of(
        "AWS_ACCESS_KEY_ID", "AKIALOCALAWSTEST0000", "AWS_SECRET_ACCESS_KEY", "local-aws-secret");
  }

  URI awsEndpoint() {
    return aws.endpoint();
  }

  String dockerHost() {
    return env.dockerHost().toString();
  }

  void track(BenchAgent a) {
    running.add(a);
  }

  void untrack(BenchAgent a) {
    running.remove(a);
  }

  ScheduledExecutorService sampler() {
    return sampler;
  }

  private void stopAll() {
    for (BenchAgent a : running) {
      a.stop();
    }
    for (BenchAgent a : List.copyOf(all)) {
      docker("rm", "-f", a.service, a.service + "-previous", a.service + "-next");
    }
    all.clear();
  }

  private final List<BenchAgent> all = new CopyOnWriteArrayList<>();

  void created(BenchAgent a) {
    all.add(a);
  }

  static void docker(String... args) {
    List<String> argv = new ArrayList<>(List.of("docker"));
    argv.addAll(Arrays.asList(args));
    try {
      Process p =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.waitFor(60, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Options options() {
    return options;
  }

  void say(String line) {
    System.out.println(line);
    report.println(line);
  }

  private List<String> machine() throws IOException, InterruptedException {
    List<String> lines = new ArrayList<>();
    lines.add("date: " + Instant.now());
    lines.add(
        "nproc: "
            + Runtime.getRuntime().availableProcessors()
            + "; "
            + Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("model name"))
                .findFirst()
                .map(l -> l.replaceFirst(".*: ", ""))
                .orElse("?"));
    lines.add(
        "memory: " + Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " "));
    lines.add("load average at start: " + Files.readString(Path.of("/proc/loadavg")).strip());
    lines.add("kernel: " + System.getProperty("os.version"));
    lines.add("driver JVM: " + System.getProperty("java.vm.version"));
    return lines;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void sleep(Duration d) throws InterruptedException {
    if (!d.isNegative() && !d.isZero()) {
      Thread.sleep(d.toMillis());
    }
  }

  static String get(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(uri + ": HTTP " + r.statusCode());
    }
    return r.body();
  }

  static boolean await(BooleanSupplier condition, Duration timeout, Duration every)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(every.toMillis());
    }
    return condition.getAsBoolean();
  }

  // ------------------------------------------------------------------ statistics

  static double cpuSeconds(List<Sample> window) {
    if (window.size() < 2) {
      return 0;
    }
    return (window.get(window.size() - 1).cpuTicks - window.get(0).cpuTicks) / (double) HZ;
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static String stat(List<Double> values, String format) {
    if (values.isEmpty()) {
      return "-";
    }
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return format.formatted(median(values))
        + " ("
        + format.formatted(min).replaceAll("[^0-9.]+$", "")
        + "-"
        + format.formatted(max)
        + ")";
  }

  static String range(List<Double> values, String format) {
    if (values.isEmpty()) {
      return "-";
    }
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return min == max ? format.formatted(min) : format.formatted(min) + "-" + format.formatted(max);
  }

  static String mib(double kib) {
    return "%.0f MiB".formatted(kib / 1024.0);
  }

  // ------------------------------------------------------------------ types

  /** One line of /proc: when, RSS, peak RSS, threads, CPU ticks (user+system), open fds. */
  record Sample(long t, long rssKib, long hwmKib, long threads, long cpuTicks, long fds) {
    static Sample of(long pid, long t) {
      try {
        long rss = 0;
        long hwm = 0;
        long threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            rss = kib(line);
          } else if (line.startsWith("VmHWM:")) {
            hwm = kib(line);
          } else if (line.startsWith("Threads:")) {
            threads = kib(line);
          }
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long cpu = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        long fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
          fds = s.count();
        }
        return new Sample(t, rss, hwm, threads, cpu, fds);
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    private static long kib(String line) {
      return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
  }

  /** One scrape of /metrics: sample name and labels to value. */
  record Scrape(List<String[]> lines) {
    static Scrape parse(String text) {
      List<String[]> lines = new ArrayList<>();
      for (String line : text.split("\n")) {
        if (line.startsWith("#")) {
          continue;
        }
        Matcher m = SAMPLE_LINE.matcher(line);
        if (m.find()) {
          lines.add(new String[] {m.group(1), m.group(2) == null ? "" : m.group(2), m.group(3)});
        }
      }
      return new Scrape(lines);
    }

    double sum(String name, String... labelParts) {
      double total = 0;
      for (String[] l : lines) {
        if (l[0].equals(name) && Arrays.stream(labelParts).allMatch(l[1]::contains)) {
          total += Double.parseDouble(l[2]);
        }
      }
      return total;
    }

    List<String> labelValues(String name, String label) {
      List<String> values = new ArrayList<>();
      Pattern p = Pattern.compile(label + "=\"([^\"]*)\"");
      for (String[] l : lines) {
        Matcher m = p.matcher(l[1]);
        if (l[0].equals(name) && m.find() && !values.contains(m.group(1))) {
          values.add(m.group(1));
        }
      }
      return values;
    }
  }

  /** A build to run: its launcher and jar, the options file, and how it gets its AppCDS archive. */
  record Variant(String name, Path tree, Path jar, String options, String cds) {
    /**
     * {@code NAME:TREE:JAR:OPTIONS:CDS}; OPTIONS {@code shipped} (the tree's jvm.options), {@code
     * defaults} (none) or the absolute path of an options file; CDS {@code off}, {@code version}
     * (trained by {@code driftguard version}), {@code auto} (made at the first start) or {@code
     * first-start} (every start is a first one).
     */
    static Variant parse(String spec) {
      String[] p = spec.split(":");
      if (p.length != 5
          || !(List.of("shipped", "defaults").contains(p[3]) || p[3].startsWith("/"))
          || !List.of("off", "version", "auto", "first-start").contains(p[4])) {
        throw new IllegalArgumentException(
            "variant is NAME:TREE:JAR:shipped|defaults|/OPTIONS/FILE:off|version|auto|first-start, not "
                + spec);
      }
      return new Variant(p[0], Path.of(p[1]), Path.of(p[2]), p[3], p[4]);
    }

    String describe() {
      return name + " (" + jar + ", options " + options + ", AppCDS " + cds + ")";
    }

    Path launcher() {
      return tree.resolve("agent/bin/driftguard");
    }

    /**
     * Whether the build takes turns on the DynamoDB lease (and so knows the {@code dynamodb}
     * endpoint key); builds before it coordinate on EC2 tags alone and refuse the key.
     */
    boolean hasTurnLease() {
      try (JarFile j = new JarFile(jar.toFile())) {
        return j.getEntry("dev/driftguard/fleet/DynamoDbTurnLease.class") != null;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + jar, e);
      }
    }
  }

  static final class Options {
    String shape = "prod";
    List<String> measures = List.of("deploys", "startup");
    List<Variant> variants = new ArrayList<>();
    int deploys = 20;
    int runs = 5;
    Duration idle = Duration.ofSeconds(60);
    Duration poll = Duration.ofSeconds(2);
    Duration soakMinutes = Duration.ofMinutes(30);
    Duration soakEvery = Duration.ofSeconds(30);
    int failRssMib;
    boolean baseline = true;
    String javaOpts = "";
    Path out;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--shape" -> o.shape = value;
          case "--measures" -> o.measures = List.of(value.split(","));
          case "--variant" -> o.variants.add(Variant.parse(value));
          case "--deploys" -> o.deploys = Integer.parseInt(value);
          case "--runs" -> o.runs = Integer.parseInt(value);
          case "--idle-seconds" -> o.idle = Duration.ofSeconds(Long.parseLong(value));
          case "--poll-seconds" -> o.poll = Duration.ofSeconds(Long.parseLong(value));
          case "--soak-minutes" -> o.soakMinutes = Duration.ofMinutes(Long.parseLong(value));
          case "--soak-every" -> o.soakEvery = Duration.ofSeconds(Long.parseLong(value));
          case "--fail-rss-mib" -> o.failRssMib = Integer.parseInt(value);
          case "--no-baseline" -> {
            o.baseline = false;
            i--;
          }
          case "--out" -> o.out = Path.of(value);
          case "--java-opts" -> o.javaOpts = value;
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
        i++;
      }
      if (!List.of("prod", "local").contains(o.shape) || o.variants.isEmpty() || o.out == null) {
        throw new IllegalArgumentException(
            "need --shape prod|local, --out DIR and at least one --variant");
      }
      return o;
    }
  }
}
