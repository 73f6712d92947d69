package dev.driftguard.bench;

import dev.driftguard.bench.AgentBench.Sample;
import dev.driftguard.bench.AgentBench.Scrape;
import dev.driftguard.bench.AgentBench.Variant;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One agent of {@link AgentBench}: a host's configuration, its {@code driftguard run} process
 * started through the variant's launcher (which execs the JVM, so the launcher's pid is the JVM's),
 * one /proc sample per second, and named marks in that series.
 */
final class BenchAgent {
  final AgentBench bench;
  final Variant variant;
  final String service;
  final Path dir;
  final int appPort;
  final int metricsPort;
  final int statusPort;
  final Path log;
  String instanceId;
  URI imds;
  String targetGroup;
  String parameter;

  private final List<Sample> samples = new ArrayList<>();
  private final Map<String, Integer> marks = new HashMap<>();
  private final List<Scrape> doneScrapes = new ArrayList<>();
  private final long t0 = System.nanoTime();
  private Process process;
  private ScheduledFuture<?> sampling;
  private Map<String, String> cdsEnv = new HashMap<>();
  Scrape lastScrape;

  BenchAgent(
      AgentBench bench,
      Variant variant,
      String service,
      Path dir,
      int appPort,
      int metricsPort,
      int statusPort) {
    this.bench = bench;
    this.variant = variant;
    this.service = service;
    this.dir = dir;
    this.appPort = appPort;
    this.metricsPort = metricsPort;
    this.statusPort = statusPort;
    this.log = dir.resolve("agent.log");
    bench.created(this);
  }

  Path config() {
    return dir.resolve("driftguard.yaml");
  }

  private Path cdsDir() {
    return dir.resolve("cds");
  }

  /**
   * Makes the variant's AppCDS archive: {@code version} trains it the way the packages did before
   * issue 11 ({@code DRIFTGUARD_CDS=generate driftguard version}); {@code auto} lets the launcher
   * make it at the first start (one start to the first pass, then a stop, which dumps it).
   */
  void prepareCds() throws IOException, InterruptedException {
    deleteArchives();
    switch (variant.cds()) {
      case "off" -> cdsEnv = Map.of("DRIFTGUARD_CDS", "off");
      case "version" -> {
        Map<String, String> env = baseEnv();
        env.put("DRIFTGUARD_CDS", "generate");
        ProcessBuilder pb =
            new ProcessBuilder(variant.launcher().toString(), "version")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        if (pb.start().waitFor() != 0) {
          throw new IllegalStateException(
              variant.name() + ": generating the archive failed; see " + log);
        }
        cdsEnv = Map.of("DRIFTGUARD_CDS", "auto");
      }
      case "auto" -> {
        cdsEnv = Map.of("DRIFTGUARD_CDS", "auto");
        start();
        if (!awaitPasses(1, Duration.ofSeconds(60), Duration.ofMillis(200))) {
          throw new IllegalStateException(variant.name() + ": no first pass; see " + log);
        }
        scrape();
        stop();
        try (Stream<Path> s = Files.list(cdsDir())) {
          if (s.noneMatch(p -> p.getFileName().toString().matches(".*\\.jsa(\\.pending)?"))) {
            throw new IllegalStateException(
                variant.name() + ": the first start left no archive in " + cdsDir());
          }
        }
      }
      case "first-start" -> cdsEnv = Map.of("DRIFTGUARD_CDS", "auto");
      default -> throw new IllegalArgumentException(variant.cds());
    }
  }

  /** A first-start variant measures a start without an archive, every time. */
  void beforeEachStart() throws IOException {
    if (variant.cds().equals("first-start")) {
      deleteArchives();
    }
  }

  private void deleteArchives() throws IOException {
    Files.createDirectories(cdsDir());
    try (Stream<Path> s = Files.list(cdsDir())) {
      for (Path p : s.toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private Map<String, String> baseEnv() throws IOException {
    Map<String, String> env = new HashMap<>(bench.awsEnv());
    env.put("DRIFTGUARD_CDS_DIR", cdsDir().toString());
    env.put("DRIFTGUARD_JAR", variant.jar().toString());
    if (!bench.options().javaOpts.isBlank()) {
      env.put("DRIFTGUARD_JAVA_OPTS", bench.options().javaOpts);
    }
    if (variant.options().equals("defaults")) {
      Path empty = dir.resolve("empty-jvm.options");
      Files.writeString(empty, "");
      env.put("DRIFTGUARD_JVM_OPTIONS", empty.toString());
    } else if (variant.options().startsWith("/")) {
      env.put("DRIFTGUARD_JVM_OPTIONS", variant.options());
    }
    return env;
  }

  void start() throws IOException {
    startWith(Map.of());
  }

  void startWith(Map<String, String> extra) throws IOException {
    Map<String, String> env = baseEnv();
    env.putAll(cdsEnv);
    env.putAll(extra);
    ProcessBuilder pb =
        new ProcessBuilder(variant.launcher().toString(), "--config", config().toString(), "run")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    process = pb.start();
    bench.track(this);
    long pid = process.pid();
    sampling = bench.sampler().scheduleAtFixedRate(() -> sample(pid), 0, 1, TimeUnit.SECONDS);
  }

  private synchronized Sample sample(long pid) {
    Sample s = Sample.of(pid, (System.nanoTime() - t0) / 1_000_000);
    if (s != null) {
      samples.add(s);
    }
    return s;
  }

  /** Samples now and returns it (null when the process is gone). */
  Sample sampleNow() {
    return process == null || !process.isAlive() ? null : sample(process.pid());
  }

  /** Names this point of the series (a sample is taken for it). */
  synchronized void mark(String name) {
    sampleNow();
    marks.put(name, samples.size() - 1);
  }

  synchronized Sample sampleAt(String mark) {
    Integer i = marks.get(mark);
    return i == null || i < 0 ? null : samples.get(i);
  }

  synchronized List<Sample> samplesBetween(String from, String to) {
    Integer a = marks.get(from);
    Integer b = marks.get(to);
    if (a == null || b == null || a < 0 || b < a) {
      return List.of();
    }
    return List.copyOf(samples.subList(a, b + 1));
  }

  synchronized List<Sample> samplesAfter(String from) {
    Integer a = marks.get(from);
    return a == null || a < 0 ? List.of() : List.copyOf(samples.subList(a, samples.size()));
  }

  long pid() {
    return process == null ? -1 : process.pid();
  }

  void pin(String version) throws IOException {
    bench.pin(this, version);
  }

  Scrape scrape() {
    try {
      lastScrape =
          Scrape.parse(AgentBench.get(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")));
      return lastScrape;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * Waits until {@code deploys} deploys after the first one succeeded and the service is in sync.
   */
  void awaitInSync(int deploys, Duration timeout) throws InterruptedException {
    boolean ok =
        AgentBench.await(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(variant.name() + ": the agent exited; see " + log);
              }
              Scrape s = scrape();
              if (s == null) {
                return false;
              }
              double bad =
                  s.sum("driftguard_deploys_total")
                      - s.sum("driftguard_deploys_total", "outcome=\"success\"");
              if (bad > 0) {
                throw new IllegalStateException(
                    variant.name() + ": a deploy did not succeed; see " + log);
              }
              return s.sum("driftguard_deploys_total", "outcome=\"success\"") >= deploys + 1
                  && s.sum("driftguard_in_sync") == 1;
            },
            timeout,
            Duration.ofMillis(250));
    if (!ok) {
      throw new IllegalStateException(
          variant.name()
              + ": not in sync after deploy "
              + deploys
              + " within "
              + timeout
              + "; see "
              + log);
    }
    doneScrapes.add(lastScrape);
  }

  boolean awaitPasses(int passes, Duration timeout, Duration every) throws InterruptedException {
    return AgentBench.await(
        () -> {
          Scrape s = scrape();
          return s != null && s.sum("driftguard_reconcile_passes_total") >= passes;
        },
        timeout,
        every);
  }

  /** Per deploy after the first: its wall time as the agent measured it (seconds). */
  List<Double> deployWalls() {
    List<Double> walls = new ArrayList<>();
    for (int i = 1; i < doneScrapes.size(); i++) {
      walls.add(
          doneScrapes.get(i).sum("driftguard_deploy_duration_seconds_sum")
              - doneScrapes.get(i - 1).sum("driftguard_deploy_duration_seconds_sum"));
    }
    return walls;
  }

  /** Per deploy after the first: wall time not spent in any recorded phase (milliseconds). */
  List<Double> outsidePhases() {
    List<Double> outside = new ArrayList<>();
    for (int i = 1; i < doneScrapes.size(); i++) {
      Scrape a = doneScrapes.get(i - 1);
      Scrape b = doneScrapes.get(i);
      double deploy =
          b.sum("driftguard_deploy_duration_seconds_sum")
              - a.sum("driftguard_deploy_duration_seconds_sum");
      double phases =
          b.sum("driftguard_phase_duration_seconds_sum")
              - a.sum("driftguard_phase_duration_seconds_sum");
      outside.add((deploy - phases) * 1000);
    }
    return outside;
  }

  String phaseMeans(Scrape s) {
    if (s == null) {
      return "-";
    }
    Map<String, String> means = new LinkedHashMap<>();
    for (String phase : s.labelValues("driftguard_phase_duration_seconds_count", "phase")) {
      String label = "phase=\"" + phase + "\"";
      double count = s.sum("driftguard_phase_duration_seconds_count", label);
      double sum = s.sum("driftguard_phase_duration_seconds_sum", label);
      means.put(phase, count == 0 ? "-" : "%.0f ms".formatted(sum / count * 1000));
    }
    return means.toString();
  }

  void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    if (sampling != null) {
      sampling.cancel(false);
    }
    bench.untrack(this);
    process = null;
  }
}
