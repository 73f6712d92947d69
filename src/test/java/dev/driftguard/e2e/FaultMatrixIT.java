package dev.driftguard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.driftguard.fleet.PublishedStateTags;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.testing.RegistryFaultProxy;
import dev.driftguard.testing.Scratch;
import dev.driftguard.testing.TestEnv;
import dev.driftguard.testing.aws.FaultRule;
import dev.driftguard.testing.aws.LocalAws;
import dev.driftguard.testing.aws.TargetGroup;
import dev.driftguard.testing.aws.TargetGroupConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The fault matrix of issue 9: the real agent (the shaded jar as a process) against the real engine
 * and registry and the local AWS endpoint, driven through crashes, engine restarts, registry and
 * AWS outages at every deploy phase, a broken state directory, a fleet that condemned the pinned
 * digest and a worker fleet given a bad one. For every row it records which digest each host ends
 * serving and whether it is registered, whether a good digest was condemned (state file or
 * published tag), the longest time with no running container of the service (the engine sampled
 * every 100 ms) and the longest time out of service (the target group's own timeline).
 *
 * <p>It asserts the goals for every row, each its own dynamic test: every host ends serving
 * a good digest and registered; no good digest is condemned; no window without a running container
 * beyond the stop-first switch itself ({@link #SWITCH_BUDGET}, plus the time the agent was down
 * when the row killed it and {@link #COLD_AGENT}); the agent never exits by itself.
 *
 * <p>Rows run {@link #PARALLEL} at a time, each with its own local AWS endpoint, target group,
 * instance ids, container names, ports and state directory; rows that restart the shared dockerd
 * run alone afterwards (they need {@code /var/tmp/driftguard-docker.lock}: held by whoever runs the
 * test under {@code flock}, or taken here). The table goes to {@code target/fault-matrix.md}, which
 * {@code docs/reliability.md} is copied from.
 *
 * <p>System properties: {@code driftguard.faultMatrix.rows} (a regex of row names to run, for
 * development), {@code driftguard.faultMatrix.parallel}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultMatrixIT {
  static final int PARALLEL = Integer.getInteger("driftguard.faultMatrix.parallel", 3);
  static final Pattern ONLY =
      Pattern.compile(System.getProperty("driftguard.faultMatrix.rows", ".*"));

  /** A dependency fault lasts this long from its trigger. */
  static final Duration FAULT_WINDOW = Duration.ofSeconds(6);

  /** After the trigger, how long a row may take to settle on the digest it should end on. */
  static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);

  /** How long a trigger phase may take to show in the state file. */
  static final Duration PHASE_TIMEOUT = Duration.ofSeconds(90);

  /**
   * The stop-first switch itself, the engine's create-to-running time of the new container aside:
   * the old container's stop completing, its rename, the agent's own steps, on a busy machine. The
   * engine's start time is measured per row and not counted against it: with several agents and
   * JVMs on two cores, a {@code docker start} alone was seen taking 3 s.
   */
  static final Duration SWITCH_BUDGET = Duration.ofSeconds(3);

  /**
   * A restarted agent's first switch, beyond a warm one: a new JVM's first engine and SSM calls
   * (class loading, the SDK's first request; 2-4 s on two busy cores). Added only for rows that
   * killed the agent, whose own time down is counted separately.
   */
  static final Duration COLD_AGENT = Duration.ofSeconds(3);

  /** Start-first never has a gap; this is the sampler's resolution. */
  static final Duration SAMPLING_SLACK = Duration.ofMillis(300);

  /** Every AWS call takes this long, as from an EC2 instance to its region's endpoints. */
  static final Duration AWS_LATENCY = Duration.ofMillis(40);

  static final Duration SAMPLE_PERIOD = Duration.ofMillis(100);

  /** Rows start at least this far apart. */
  static final Duration STAGGER = Duration.ofSeconds(4);

  static final String LOCK = "/var/tmp/driftguard-docker.lock";

  /** The AWS services an agent calls (DynamoDB for turn leases where the agent uses them). */
  static final List<String> AWS_SERVICES = List.of("ssm", "ecr", "ec2", "elbv2", "dynamodb");

  static final List<String> STOP_FIRST_PHASES =
      List.of("PULL", "GATE", "DEREGISTER", "STOP", "START", "HEALTH", "REGISTER", "COMMIT");
  static final List<String> START_FIRST_PHASES =
      List.of("PULL", "GATE", "START", "HEALTH", "REGISTER", "DEREGISTER", "STOP", "COMMIT");

  private final String run = UUID.randomUUID().toString().substring(0, 4);
  private final AtomicInteger serial = new AtomicInteger();
  private final Map<Row, Result> results = new ConcurrentHashMap<>();
  private final List<Row> rows = new ArrayList<>();
  private TestEnv env;
  private DockerContainerRuntime docker;
  private ContainerSampler sampler;
  private Path out;
  private Instant startedAt;
  private Duration took;
  private String engineNote = "";

  /** Rows under way, closed by {@link #reaper} if the JVM is stopped before they end. */
  private final Set<RowRun> active = ConcurrentHashMap.newKeySet();

  private final Thread reaper =
      new Thread(() -> active.forEach(RowRun::close), "fault-matrix-reaper");

  /** The longest gap of the stop-first control row, once it ran. */
  private volatile Duration controlGap;

  // ------------------------------------------------------------------------------- the rows

  /** How a row's hosts are set up before its scenario runs. */
  enum Setup {
    /** One host, traffic, on v1 and registered before the scenario. */
    ONE_HOST_ON_V1,
    /** As above, pulling through a registry fault proxy of its own. */
    ONE_HOST_THROUGH_PROXY,
    /** As above, with the state directory on a tmpfs of its own. */
    ONE_HOST_STATE_ON_TMPFS,
    /** One fresh host (nothing running, no state) and a peer that published a rollback. */
    FRESH_HOST_WITH_PEER,
    /** Three worker hosts (no target group), on v1. */
    WORKER_FLEET_ON_V1
  }

  /** One row: what it does, to which setup, and which digests it should end on. */
  record Row(
      int number,
      String name,
      String strategy,
      Setup setup,
      boolean engineWide,
      String finalVariant,
      Set<String> goodVariants,
      Scenario scenario) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%02d %s", number, name);
    }
  }

  @FunctionalInterface
  interface Scenario {
    void run(RowRun r) throws Exception;
  }

  private void buildRows() {
    add("no fault (control)", "stop-first", Setup.ONE_HOST_ON_V1, r -> r.pin("v2"));
    add("no fault (control)", "start-first", Setup.ONE_HOST_ON_V1, r -> r.pin("v2"));
    for (String strategy : List.of("stop-first", "start-first")) {
      for (String phase : phases(strategy)) {
        add(
            "kill -9 at " + phase + ", restart",
            strategy,
            Setup.ONE_HOST_ON_V1,
            r -> {
              r.pin("v2");
              r.awaitPhase(phase);
              r.crashAndRestart(null);
            });
      }
    }
    for (String phase : STOP_FIRST_PHASES) {
      add(
          "AWS throttled at " + phase,
          "stop-first",
          Setup.ONE_HOST_ON_V1,
          r -> {
            r.pin("v2");
            r.awaitPhase(phase);
            r.awsDown(AwsOutage.THROTTLED);
          });
    }
    for (String phase : START_FIRST_PHASES) {
      add(
          "AWS unavailable (5xx) at " + phase,
          "start-first",
          Setup.ONE_HOST_ON_V1,
          r -> {
            r.pin("v2");
            r.awaitPhase(phase);
            r.awsDown(AwsOutage.UNAVAILABLE);
          });
    }
    for (String phase : List.of("DEREGISTER", "STOP", "START", "HEALTH", "REGISTER")) {
      add(
          "kill -9 at " + phase + ", restart into AWS throttling",
          "stop-first",
          Setup.ONE_HOST_ON_V1,
          r -> {
            r.pin("v2");
            r.awaitPhase(phase);
            r.crashAndRestart(AwsOutage.THROTTLED);
          });
    }
    for (String phase : List.of("START", "HEALTH", "REGISTER")) {
      add(
          "kill -9 at " + phase + ", restart into AWS 5xx",
          "start-first",
          Setup.ONE_HOST_ON_V1,
          r -> {
            r.pin("v2");
            r.awaitPhase(phase);
            r.crashAndRestart(AwsOutage.UNAVAILABLE);
          });
    }
    add(
        "registry down during the pull",
        "stop-first",
        Setup.ONE_HOST_THROUGH_PROXY,
        r -> {
          r.proxy.down();
          r.pin("v2");
          r.awaitPhase("PULL");
          r.sleep(FAULT_WINDOW);
          r.proxy.pass();
        });
    add(
        "registry answers 503 during the pull",
        "stop-first",
        Setup.ONE_HOST_THROUGH_PROXY,
        r -> {
          r.proxy.error(503);
          r.pin("v2");
          r.awaitPhase("PULL");
          r.sleep(FAULT_WINDOW);
          r.note("registry answered " + r.proxy.faulted() + " request(s) with 503");
          r.proxy.pass();
        });
    add(
        "registry slow (2.5 s a request) during the pull",
        "stop-first",
        Setup.ONE_HOST_THROUGH_PROXY,
        r -> {
          r.proxy.slow(Duration.ofMillis(2500));
          r.pin("v2");
          r.awaitPhase("PULL");
        });
    add(
        "state directory read-only",
        "stop-first",
        Setup.ONE_HOST_STATE_ON_TMPFS,
        r -> {
          r.makeStateDirReadOnly();
          r.pin("v2");
        });
    add(
        "state directory full",
        "stop-first",
        Setup.ONE_HOST_STATE_ON_TMPFS,
        r -> {
          r.fillStateDir();
          r.pin("v2");
        });
    rows.add(
        new Row(
            serial.incrementAndGet(),
            "peer published a rollback of the pinned digest; fresh host starts",
            "stop-first",
            Setup.FRESH_HOST_WITH_PEER,
            false,
            "v1",
            Set.of("v1"),
            RowRun::startFreshHost));
    rows.add(
        new Row(
            serial.incrementAndGet(),
            "worker fleet (3 hosts, no target group) given a bad digest",
            "stop-first",
            Setup.WORKER_FLEET_ON_V1,
            false,
            "v1",
            Set.of("v1"),
            r -> {
              r.pin("unhealthy");
              r.sleep(Duration.ofSeconds(25));
            }));
    rows.add(
        new Row(
            serial.incrementAndGet(),
            "dockerd restart while idle",
            "stop-first",
            Setup.ONE_HOST_ON_V1,
            true,
            "v1",
            Set.of("v1", "v2"),
            r -> r.restartDockerd()));
    rows.add(
        new Row(
            serial.incrementAndGet(),
            "dockerd restart mid-deploy (at HEALTH)",
            "stop-first",
            Setup.ONE_HOST_ON_V1,
            true,
            "v2",
            Set.of("v1", "v2"),
            r -> {
              r.pin("v2");
              r.awaitPhase("HEALTH");
              r.restartDockerd();
            }));
  }

  /**
   * The stop-first switch itself as this run measured it: twice the control row's gap (same load,
   * same engine), and at least {@link #SWITCH_BUDGET}.
   */
  private Duration switchBudget() {
    return controlGap == null || controlGap.multipliedBy(2).compareTo(SWITCH_BUDGET) < 0
        ? SWITCH_BUDGET
        : controlGap.multipliedBy(2);
  }

  private void add(String name, String strategy, Setup setup, Scenario scenario) {
    rows.add(
        new Row(
            serial.incrementAndGet(),
            name,
            strategy,
            setup,
            false,
            "v2",
            Set.of("v1", "v2"),
            scenario));
  }

  static List<String> phases(String strategy) {
    return strategy.equals("start-first") ? START_FIRST_PHASES : STOP_FIRST_PHASES;
  }

  /** Which AWS outage a row injects: every service the agent calls, for {@link #FAULT_WINDOW}. */
  enum AwsOutage {
    THROTTLED("throttled"),
    UNAVAILABLE("503");

    final String label;

    AwsOutage(String label) {
      this.label = label;
    }
  }

  // ------------------------------------------------------------------------------ the run

  @BeforeAll
  void runMatrix() throws Exception {
    env = TestEnv.load();
    docker = DockerContainerRuntime.create(env.dockerHost());
    Path jar =
        Path.of(System.getProperty("driftguard.jar", "target/driftguard.jar")).toAbsolutePath();
    assertThat(jar).as("the shaded jar (mvn package) that the agents run").exists();
    out = jar.getParent().resolve("fault-matrix");
    Scratch.deleteRecursively(out);
    Files.createDirectories(out);
    sampler = new ContainerSampler(env.dockerHost(), SAMPLE_PERIOD);
    // Stopped early (SIGTERM), the rows still stop their agents, containers and mounts.
    Runtime.getRuntime().addShutdownHook(reaper);
    buildRows();
    startedAt = Instant.now();
    List<Row> chosen =
        rows.stream().filter(r -> ONLY.matcher(r.name() + " " + r.strategy()).find()).toList();

    ExecutorService pool =
        Executors.newFixedThreadPool(
            PARALLEL,
            r -> {
              Thread t = new Thread(r, "fault-matrix-row");
              t.setDaemon(true);
              return t;
            });
    List<Future<?>> running = new ArrayList<>();
    for (Row row : chosen) {
      if (!row.engineWide()) {
        running.add(
            pool.submit(
                () -> {
                  // JVMs starting together on two cores take ten times as long: start them apart.
                  staggerStart();
                  runRow(row);
                }));
      }
    }
    for (Future<?> f : running) {
      f.get(30, TimeUnit.MINUTES);
    }
    pool.shutdown();
    if (chosen.stream().anyMatch(Row::engineWide)) {
      ensureLiveRestore();
    }
    for (Row row : chosen) {
      if (row.engineWide()) {
        runRow(row);
      }
    }
    took = Duration.between(startedAt, Instant.now());
    writeReport(chosen);
  }

  @AfterAll
  void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // Shutting down already, or never added.
    }
    if (sampler != null) {
      sampler.close();
    }
    if (docker != null) {
      docker.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyRowEndsServingAndRegistered_condemnsNoGoodDigest_andNeverGoesEmpty() {
    return rows.stream()
        .filter(results::containsKey)
        .map(
            row ->
                DynamicTest.dynamicTest(
                    row.toString(),
                    () -> {
                      Result r = results.get(row);
                      assertThat(r.violations(switchBudget()))
                          .as(
                              row
                                  + " ("
                                  + row.strategy()
                                  + "): "
                                  + r.summary()
                                  + "\n"
                                  + r.details())
                          .isEmpty();
                    }));
  }

  private final Object staggerLock = new Object();
  private Instant lastStart = Instant.EPOCH;

  private void staggerStart() {
    synchronized (staggerLock) {
      Duration since = Duration.between(lastStart, Instant.now());
      if (since.compareTo(STAGGER) < 0) {
        try {
          Thread.sleep(STAGGER.minus(since).toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      lastStart = Instant.now();
    }
  }

  private void runRow(Row row) {
    Result result;
    try (RowRun r = new RowRun(row)) {
      active.add(r);
      try {
        result = r.execute();
      } finally {
        active.remove(r);
      }
    } catch (Throwable e) {
      result = Result.broken(row, e);
    }
    results.put(row, result);
    if (row.number() == 1 && result.broken() == null && !result.hosts().isEmpty()) {
      controlGap = result.hosts().get(0).gap().beyondEngine();
    }
    System.out.println(
        "fault matrix: "
            + row
            + " ("
            + row.strategy()
            + "): "
            + result.summary()
            + (result.violations(switchBudget()).isEmpty()
                ? ""
                : " VIOLATES " + result.violations(switchBudget())));
  }

  // ------------------------------------------------------------------------------ one row

  /** Everything one row owns, and the steps its scenario takes. */
  final class RowRun implements AutoCloseable {
    final Row row;
    final Path dir;
    final LocalAws aws;
    final List<MatrixHost> hosts = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    RegistryFaultProxy proxy;
    private String groupArn;
    private TargetGroup group;
    private HttpServer peerApp;
    private Path mounted;
    private Path readOnlyBind;
    private String trigger = "";
    private Duration agentDown = Duration.ZERO;
    private final Map<String, ContainerSampler.History> histories = new LinkedHashMap<>();

    RowRun(Row row) throws IOException {
      this.row = row;
      this.dir = out.resolve(String.format(Locale.ROOT, "%02d", row.number()));
      Files.createDirectories(dir);
      this.aws = LocalAws.builder().registryPasswordFromTestEnv().start();
      // Every call pays a round trip, as from EC2; a fault window is installed after it.
      for (String service : AWS_SERVICES) {
        aws.inject(FaultRule.latency(service, "*", AWS_LATENCY));
      }
    }

    MatrixHost host() {
      return hosts.get(0);
    }

    Result execute() throws Exception {
      String service = "fm" + run + "r" + row.number();
      boolean traffic = row.setup() != Setup.WORKER_FLEET_ON_V1;
      if (traffic) {
        groupArn =
            aws.elbv2()
                .createTargetGroup(
                    new TargetGroupConfig(
                        service,
                        80,
                        "/healthz",
                        2,
                        2,
                        Duration.ofMillis(500),
                        Duration.ofMillis(400),
                        Duration.ofSeconds(1)));
        group = aws.targetGroup(groupArn);
      }
      String registry = env.registryHost();
      if (row.setup() == Setup.ONE_HOST_THROUGH_PROXY) {
        proxy = RegistryFaultProxy.start(env);
        registry = proxy.registry();
      }
      aws.ssm().putSecure("/" + service + "/greeting", "hello-" + row.number());
      int count = row.setup() == Setup.WORKER_FLEET_ON_V1 ? 3 : 1;
      for (int i = 1; i <= count; i++) {
        String instanceId = String.format(Locale.ROOT, "i-0f%s%02d%09d", run, row.number(), i);
        aws.addInstance(instanceId, Map.of("Name", service));
        String container = service + "h" + i;
        MatrixHost.Settings settings =
            new MatrixHost.Settings(
                service,
                container,
                instanceId,
                row.strategy(),
                Scratch.freePort(),
                Scratch.freePort(),
                groupArn,
                registry,
                dir.resolve("h" + i),
                env.dockerHost());
        MatrixHost host = new MatrixHost(settings, aws, docker);
        hosts.add(host);
        histories.put(
            container, sampler.watch(container, List.of(settings.port(), settings.nextPort())));
      }
      if (row.setup() == Setup.ONE_HOST_STATE_ON_TMPFS) {
        mounted = host().stateDir();
        shell("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", mounted.toString());
      }
      Instant from;
      if (row.setup() == Setup.FRESH_HOST_WITH_PEER) {
        preparePeer(service);
        from = Instant.now();
        row.scenario().run(this);
      } else {
        for (MatrixHost h : hosts) {
          h.start();
        }
        pin("v1");
        awaitSettled(image("v1").digest(), Duration.ofSeconds(180), "the first deploy of v1");
        from = Instant.now();
        row.scenario().run(this);
      }
      Digest expected = image(row.finalVariant()).digest();
      Optional<String> unsettled = awaitSettledQuietly(expected, SETTLE_TIMEOUT);
      Instant to = Instant.now();
      return measure(from, to, unsettled);
    }

    // ---- scenario steps --------------------------------------------------------------------

    void pin(String variant) {
      aws.ssm().put("/driftguard/" + host().service() + "/image", image(variant).toString());
    }

    ImageRef image(String variant) {
      return proxy != null ? proxy.image(variant) : env.image(variant);
    }

    void note(String text) {
      notes.add(text);
    }

    void sleep(Duration d) throws InterruptedException {
      Thread.sleep(d.toMillis());
    }

    /** Waits until the state file shows {@code phase} (polled every 5 ms). */
    void awaitPhase(String phase) throws Exception {
      Instant deadline = Instant.now().plus(PHASE_TIMEOUT);
      List<String> seen = new ArrayList<>();
      while (Instant.now().isBefore(deadline)) {
        String now = host().phase();
        if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(now)) {
          seen.add(now);
        }
        if (now.equalsIgnoreCase(phase)) {
          trigger = phase;
          return;
        }
        Thread.sleep(5);
      }
      throw new TriggerMissed(
          "phase "
              + phase
              + " never showed in the state file within "
              + PHASE_TIMEOUT.toSeconds()
              + " s; phases seen: "
              + seen);
    }

    /**
     * kill -9 now, then start the agent again after {@link MatrixHost#RESTART_DELAY}, maybe into an
     * AWS outage.
     */
    void crashAndRestart(AwsOutage outage) throws Exception {
      Instant killed = Instant.now();
      host().kill();
      notes.add("killed in " + host().phase());
      Thread.sleep(MatrixHost.RESTART_DELAY.toMillis());
      if (outage != null) {
        awsDown(outage);
      }
      host().start();
      // On two busy cores a JVM can take half a minute to start: wait for it, bounded.
      Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
      while (!host().logContains("reconcile loop started") && Instant.now().isBefore(deadline)) {
        Thread.sleep(20);
      }
      if (!host().logContains("reconcile loop started")) {
        notes.add("restarted agent did not log 'reconcile loop started' within 60 s");
      }
      agentDown = agentDown.plus(Duration.between(killed, Instant.now()));
    }

    /** Every AWS service the agent calls fails for {@link #FAULT_WINDOW}, starting now. */
    void awsDown(AwsOutage outage) {
      for (String service : AWS_SERVICES) {
        FaultRule rule =
            outage == AwsOutage.THROTTLED
                ? FaultRule.throttle(service, "*")
                : FaultRule.unavailable(service, "*");
        aws.inject(rule.forNext(FAULT_WINDOW));
      }
      if (trigger.isEmpty()) {
        trigger = "now";
      }
    }

    /**
     * The state directory turns read-only under the running agent. A plain {@code remount,ro} is
     * refused while the agent holds its lock file open for writing ("mount point is busy"), so a
     * read-only bind mount of a copy goes over it: the agent's next writes there fail with EROFS.
     */
    void makeStateDirReadOnly() throws Exception {
      Path state = host().stateDir();
      Path frozen = dir.resolve("state-read-only");
      Files.createDirectories(frozen);
      shell("cp", "-a", state + "/.", frozen.toString());
      shell("mount", "--bind", frozen.toString(), state.toString());
      readOnlyBind = state;
      shell("mount", "-o", "remount,bind,ro", state.toString());
    }

    void fillStateDir() throws IOException {
      byte[] block = new byte[4096];
      Path filler = host().stateDir().resolve("filler");
      try (OutputStream o = Files.newOutputStream(filler)) {
        for (int i = 0; i < 1_000; i++) {
          o.write(block);
        }
      } catch (IOException e) {
        notes.add("state dir full (" + e.getMessage() + ")");
        return;
      }
      throw new IllegalStateException("the 256k tmpfs did not fill up");
    }

    void startFreshHost() throws Exception {
      pin("v1");
      pin("unhealthy");
      host().start();
    }

    /**
     * Restarts the shared dockerd (live-restore keeps the containers) and brings it back with
     * test/env/up.
     */
    void restartDockerd() throws Exception {
      trigger = trigger.isEmpty() ? "idle" : trigger;
      Instant t0 = Instant.now();
      withDockerLock(
          () -> {
            stopDockerd();
            shell(envUp());
          });
      notes.add("dockerd down and back in " + seconds(Duration.between(t0, Instant.now())) + " s");
    }

    private void preparePeer(String service) throws IOException {
      String peer = String.format(Locale.ROOT, "i-0e%s%02d%09d", run, row.number(), 0);
      aws.addInstance(peer, Map.of("Name", service));
      peerApp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
      peerApp.createContext(
          "/",
          exchange -> {
            byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, ok.length);
            try (OutputStream o = exchange.getResponseBody()) {
              o.write(ok);
            }
          });
      peerApp.start();
      group.register(new TargetGroup.Target(peer, peerApp.getAddress().getPort()));
      Map<String, String> tags = new LinkedHashMap<>();
      tags.put(
          PublishedStateTags.key(service, PublishedStateTags.RUNNING),
          image("v1").digest().value());
      tags.put(PublishedStateTags.key(service, PublishedStateTags.PHASE), "idle");
      tags.put(PublishedStateTags.key(service, PublishedStateTags.OUTCOME), "rolled_back");
      tags.put(
          PublishedStateTags.key(service, PublishedStateTags.FAILED),
          image("unhealthy").digest().value());
      tags.put(
          PublishedStateTags.key(service, PublishedStateTags.UPDATED), Instant.now().toString());
      aws.ec2().putTags(peer, tags);
      notes.add(
          "peer "
              + peer
              + " runs v1 and published unhealthy as rolled back; SSM history v1 → unhealthy");
    }

    void shell(String... argv) throws Exception {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", argv) + " failed: " + output);
      }
    }

    // ---- settling and measuring ------------------------------------------------------------

    private void awaitSettled(Digest digest, Duration timeout, String what) throws Exception {
      Optional<String> why = awaitSettledQuietly(digest, timeout);
      if (why.isPresent()) {
        throw new IllegalStateException(
            what
                + ": not settled within "
                + timeout.toSeconds()
                + " s: "
                + why.get()
                + "\n"
                + hosts.stream().map(h -> h.tail(30)).collect(Collectors.joining("\n")));
      }
    }

    private Optional<String> awaitSettledQuietly(Digest digest, Duration timeout)
        throws InterruptedException {
      Instant deadline = Instant.now().plus(timeout);
      while (true) {
        List<String> why = new ArrayList<>();
        for (MatrixHost h : hosts) {
          h.notSettled(digest).ifPresent(w -> why.add(h.container() + ": " + w));
        }
        if (why.isEmpty()) {
          return Optional.empty();
        }
        if (Instant.now().isAfter(deadline)) {
          return Optional.of(String.join("; ", why));
        }
        Thread.sleep(250);
      }
    }

    private Result measure(Instant from, Instant to, Optional<String> unsettled) {
      List<HostResult> each = new ArrayList<>();
      for (MatrixHost h : hosts) {
        Optional<ContainerInfo> c = h.serving();
        String serving =
            c.filter(ContainerInfo::running)
                .flatMap(ContainerInfo::digest)
                .map(this::variantOf)
                .orElse("nothing");
        Set<String> condemned = new java.util.TreeSet<>();
        for (String good : row.goodVariants()) {
          String digest = image(good).digest().value();
          if (h.failedInState().map(digest::equals).orElse(false)) {
            condemned.add(good + " (state file)");
          }
          if (h.failedPublished().map(digest::equals).orElse(false)) {
            condemned.add(good + " (published)");
          }
        }
        ContainerSampler.Gap gap = histories.get(h.container()).longestGap(from, to);
        Duration outOfService = Duration.ZERO;
        if (group != null) {
          List<TargetGroup.StateChange> mine =
              group.timeline().stream()
                  .filter(ch -> ch.target().id().equals(h.settings.instanceId()))
                  .toList();
          outOfService = Outages.of(mine).longest(from, to);
        }
        each.add(
            new HostResult(
                h.container(),
                serving,
                group == null ? null : h.registered(),
                condemned,
                gap,
                outOfService,
                h.unexpectedExits().size(),
                h.outcomePublished(),
                h.phase()));
      }
      return new Result(
          row,
          trigger,
          each,
          agentDown,
          unsettled.orElse(null),
          Duration.between(from, to),
          List.copyOf(notes),
          hosts.stream().map(h -> h.tail(40)).collect(Collectors.joining("\n")),
          null);
    }

    private String variantOf(Digest digest) {
      for (String v : List.of("v1", "v2", "unhealthy", "crash")) {
        if (env.image(v).digest().equals(digest)) {
          return v;
        }
      }
      return digest.shortForm();
    }

    @Override
    public void close() {
      for (MatrixHost h : hosts) {
        h.close();
        sampler.unwatch(h.container());
      }
      if (readOnlyBind != null) {
        try {
          shell("umount", "-l", readOnlyBind.toString());
        } catch (Exception e) {
          System.err.println("fault matrix clean-up: " + e.getMessage());
        }
      }
      if (mounted != null) {
        try {
          shell("umount", "-l", mounted.toString());
        } catch (Exception e) {
          System.err.println("fault matrix clean-up: " + e.getMessage());
        }
      }
      if (proxy != null) {
        proxy.close();
        for (String v : List.of("v1", "v2")) {
          try {
            shell("docker", "--host=" + env.dockerHost(), "rmi", proxy.image(v).pinned());
          } catch (Exception e) {
            // Not pulled under this name.
          }
        }
      }
      if (peerApp != null) {
        peerApp.stop(0);
      }
      aws.close();
    }
  }

  /** The trigger phase never came: the row could not do what it says. */
  static final class TriggerMissed extends Exception {
    private static final long serialVersionUID = 1L;

    TriggerMissed(String message) {
      super(message);
    }
  }

  // ------------------------------------------------------------------------------ results

  record HostResult(
      String container,
      String serving,
      Boolean registered,
      Set<String> condemned,
      ContainerSampler.Gap gap,
      Duration outOfService,
      int unexpectedExits,
      String outcome,
      String phase) {}

  record Result(
      Row row,
      String trigger,
      List<HostResult> hosts,
      Duration agentDown,
      String unsettled,
      Duration took,
      List<String> notes,
      String details,
      String broken) {

    static Result broken(Row row, Throwable e) {
      String why = e instanceof TriggerMissed ? e.getMessage() : e.toString();
      return new Result(
          row, "", List.of(), Duration.ZERO, null, Duration.ZERO, List.of(), stackOf(e), why);
    }

    /**
     * The longest window with no running container the goals allow this row, given the stop-first
     * switch as measured; null where it is not assessed (a host that starts with nothing).
     */
    Duration allowedGap(Duration switchBudget) {
      if (row.setup() == Setup.FRESH_HOST_WITH_PEER) {
        return null;
      }
      if (row.strategy().equals("start-first")) {
        return SAMPLING_SLACK;
      }
      return agentDown.isZero() ? switchBudget : switchBudget.plus(agentDown).plus(COLD_AGENT);
    }

    /**
     * The part of a host's longest gap the goals judge: for stop-first, what is left once the
     * engine's own create-to-running time of the new container is taken out (the switch itself);
     * start-first never has a gap, so all of it.
     */
    Duration judgedGap(HostResult h) {
      return row.strategy().equals("start-first") ? h.gap().length() : h.gap().beyondEngine();
    }

    List<String> violations(Duration switchBudget) {
      Duration allowedGap = allowedGap(switchBudget);
      List<String> v = new ArrayList<>();
      if (broken != null) {
        v.add("row did not run: " + broken);
        return v;
      }
      for (HostResult h : hosts) {
        if (!row.goodVariants().contains(h.serving())) {
          v.add(h.container() + " ends serving " + h.serving());
        }
        if (Boolean.FALSE.equals(h.registered())) {
          v.add(h.container() + " ends not registered healthy");
        }
        if (!h.condemned().isEmpty()) {
          v.add(h.container() + " condemned good digest(s) " + h.condemned());
        }
        Duration judged = judgedGap(h);
        if (allowedGap != null && judged.compareTo(allowedGap) > 0) {
          v.add(
              h.container()
                  + " had no running container for "
                  + seconds(h.gap().length())
                  + " s, "
                  + seconds(judged)
                  + " s of it beyond the engine creating and starting the new one (allowed "
                  + seconds(allowedGap)
                  + " s)");
        }
        if (h.unexpectedExits() > 0) {
          v.add(h.container() + ": the agent exited by itself " + h.unexpectedExits() + " time(s)");
        }
      }
      if (row.setup() == Setup.WORKER_FLEET_ON_V1) {
        long tried = hosts.stream().filter(h -> h.outcome().equals("rolled_back")).count();
        if (tried > 1) {
          v.add(tried + " workers tried the bad digest (maxUnavailable 1)");
        }
      }
      return v;
    }

    String summary() {
      if (broken != null) {
        return "NOT RUN: " + broken;
      }
      return hosts.stream()
              .map(
                  h ->
                      h.container()
                          + " serves "
                          + h.serving()
                          + (h.registered() == null
                              ? ""
                              : h.registered() ? ", registered" : ", NOT registered")
                          + ", gap "
                          + seconds(h.gap().length())
                          + " s (engine start "
                          + seconds(h.gap().engineStart())
                          + " s), out "
                          + seconds(h.outOfService())
                          + " s")
              .collect(Collectors.joining("; "))
          + (unsettled == null ? "" : " (unsettled: " + unsettled + ")");
    }
  }

  // ------------------------------------------------------------------------------ report

  private void writeReport(List<Row> chosen) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Reliability: the fault matrix\n\n");
    md.append(
        "Written by `FaultMatrixIT` (`test/faults/matrix`, a step of `test/run`) into `target/fault-matrix.md`; this page is a"
            + " copy of one real run. Issue 9's goals, asserted for every row: every host ends serving a good digest"
            + " and registered; no fault of a dependency condemns a good digest; no window without a running container"
            + " beyond the stop-first switch itself; the agent never exits by itself.\n\n");
    md.append("## Method\n\n");
    md.append(
        "- The real agent (`target/driftguard.jar` as a process, `driftguard run`) on the real Docker engine and"
            + " the test registry of `test/env`, with SSM, ECR, EC2, ELBv2 and DynamoDB served by the local AWS endpoint through"
            + " the agent's own SDK clients. Every AWS call takes "
            + AWS_LATENCY.toMillis()
            + " ms.\n");
    md.append(
        "- Each row has its own endpoint, target group (health check every 500 ms, healthy after 2, deregistration"
            + " delay 1 s), instance id(s), container names, host ports and state directory, so rows run "
            + PARALLEL
            + " at a time; rows that restart dockerd run alone at the end. Agents poll every 1 s; health"
            + " checks every 300 ms, healthy after 2; the app ignores its stop signal, so every stop takes the 2 s"
            + " stop timeout.\n");
    md.append(
        "- A row starts from its host on v1, registered and idle, then pins v2 (unless it says otherwise) and"
            + " injects its fault when the state file shows the phase named (polled every 5 ms). AWS faults hit SSM,"
            + " ECR, EC2, ELBv2 and DynamoDB at once for "
            + FAULT_WINDOW.toSeconds()
            + " s with their real codes (throttled: SSM/ECR"
            + " `ThrottlingException`, ELBv2 `Throttling`, EC2 `RequestLimitExceeded`; 5xx: `ServiceUnavailable` /"
            + " EC2 `Unavailable`). `kill -9` rows start the agent again "
            + MatrixHost.RESTART_DELAY.toSeconds()
            + " s later; an agent that exits by itself is restarted the same way and counted. Registry faults go"
            + " through a TLS proxy of the row's own (`RegistryFaultProxy`) that the engine trusts via"
            + " `/etc/docker/certs.d`; the state directory rows mount a 256 KiB tmpfs, then fill it, or put a"
            + " read-only bind mount of its copy over it under the running agent.\n");
    md.append(
        "- Then it waits up to "
            + SETTLE_TIMEOUT.toSeconds()
            + " s for every host to settle (serving the digest"
            + " in *should end on*, idle, registered healthy on its container's port) and measures from the"
            + " scenario's start: the longest time with no running container of the service (the engine sampled every "
            + SAMPLE_PERIOD.toMillis()
            + " ms; while dockerd is down, a host port that accepts a connection counts as"
            + " running), the longest time out of service (the target group's own timeline), and whether a good"
            + " digest is marked failed in the state file or in the published `failed` tag.\n");
    md.append(
        "- Allowed window with no running container: stop-first, the switch itself, judged without the"
            + " engine's own create-to-running time of the new container (its `State.StartedAt` minus"
            + " `Created`, read when the sampler first sees it run; a `docker start` alone took 3 s with"
            + " several JVMs on two cores): twice the stop-first control row's (row 1, same run, same"
            + " load), at least "
            + SWITCH_BUDGET.toSeconds()
            + " s (this run: "
            + seconds(switchBudget())
            + " s), plus, for rows that killed the agent, the time it was down (kill to its loop running"
            + " again) and "
            + COLD_AGENT.toSeconds()
            + " s for a new JVM's first switch (its first engine and SSM calls); start-first "
            + SAMPLING_SLACK.toMillis()
            + " ms (the sampler's resolution).\n\n");
    md.append("## Machine\n\n");
    md.append(machine()).append('\n');
    md.append(
        String.format(
            Locale.ROOT,
            "Run: %s, %d rows in %.0f s (%d at a time).%s%n%n",
            DateTimeFormatter.ISO_INSTANT.format(startedAt.atOffset(ZoneOffset.UTC).withNano(0)),
            chosen.size(),
            took.toMillis() / 1000.0,
            PARALLEL,
            engineNote));
    md.append("## Rows\n\n");
    md.append(
        "| # | row | strategy | fault hit in | ends serving | registered | good digest condemned | longest with"
            + " no container | allowed | longest out of service | agent exits | settled | verdict |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    int passed = 0;
    for (Row row : chosen) {
      Result r = results.get(row);
      if (r == null) {
        continue;
      }
      List<String> violations = r.violations(switchBudget());
      boolean ok = violations.isEmpty();
      passed += ok ? 1 : 0;
      String serving =
          r.hosts().stream().map(HostResult::serving).collect(Collectors.joining(", "));
      String registered =
          r.hosts().stream()
              .map(h -> h.registered() == null ? "n/a" : h.registered() ? "yes" : "**no**")
              .distinct()
              .collect(Collectors.joining(", "));
      String condemned =
          r.hosts().stream()
              .flatMap(h -> h.condemned().stream())
              .distinct()
              .collect(Collectors.joining(", "));
      HostResult worst = r.hosts().stream().max(Comparator.comparing(r::judgedGap)).orElse(null);
      String gap =
          worst == null
              ? "–"
              : seconds(worst.gap().length())
                  + " s ("
                  + seconds(r.judgedGap(worst))
                  + " s beyond engine start)";
      Duration outOfService =
          r.hosts().stream()
              .map(HostResult::outOfService)
              .max(Duration::compareTo)
              .orElse(Duration.ZERO);
      int exits = r.hosts().stream().mapToInt(HostResult::unexpectedExits).sum();
      String settled =
          r.broken() != null ? "–" : r.unsettled() == null ? "yes, " + row.finalVariant() : "no";
      String verdict = ok ? "ok" : "**fails**: " + String.join("; ", violations).replace("|", "/");
      String notes = r.notes().isEmpty() ? "" : " (" + String.join("; ", r.notes()) + ")";
      md.append(
          String.format(
              Locale.ROOT,
              "| %d | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |%n",
              row.number(),
              row.name(),
              notes.replace("|", "/"),
              row.strategy(),
              r.trigger().isEmpty() ? "–" : r.trigger(),
              r.broken() != null ? "–" : serving,
              r.broken() != null ? "–" : registered,
              condemned.isEmpty() ? "no" : "**" + condemned + "**",
              r.broken() != null ? "–" : gap,
              r.allowedGap(switchBudget()) == null
                  ? "n/a"
                  : seconds(r.allowedGap(switchBudget())) + " s",
              seconds(outOfService) + " s",
              exits,
              settled,
              verdict));
    }
    md.append(
        String.format(Locale.ROOT, "%n%d of %d rows meet every goal.%n", passed, chosen.size()));
    String text = md.toString();
    Files.writeString(out.getParent().resolve("fault-matrix.md"), text);
    StringBuilder details = new StringBuilder();
    for (Row row : chosen) {
      Result r = results.get(row);
      if (r != null && !r.violations(switchBudget()).isEmpty()) {
        details
            .append("\n=== ")
            .append(row)
            .append(" (")
            .append(row.strategy())
            .append(")\n")
            .append(r.summary())
            .append('\n')
            .append(r.details())
            .append('\n');
      }
    }
    Files.writeString(out.getParent().resolve("fault-matrix-failures.txt"), details.toString());
    System.out.println(text);
  }

  private String machine() {
    StringBuilder m = new StringBuilder();
    m.append("- CPU: ")
        .append(firstMatch("/proc/cpuinfo", "model name\\s*:\\s*(.*)"))
        .append(", ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores\n");
    m.append("- Memory: ").append(firstMatch("/proc/meminfo", "MemTotal:\\s*(.*)")).append('\n');
    m.append("- Kernel: ").append(command("uname", "-sr")).append('\n');
    m.append("- Docker engine: ")
        .append(
            command(
                "docker",
                "--host=" + env.dockerHost(),
                "info",
                "--format",
                "{{.ServerVersion}}, storage driver {{.Driver}}, live-restore {{.LiveRestoreEnabled}}"))
        .append('\n');
    m.append("- Java: ")
        .append(System.getProperty("java.vm.name"))
        .append(' ')
        .append(System.getProperty("java.version"))
        .append('\n');
    m.append("- Commit: ").append(command("git", "rev-parse", "--short", "HEAD")).append('\n');
    return m.toString();
  }

  private static String firstMatch(String file, String regex) {
    try {
      java.util.regex.Matcher m =
          Pattern.compile(regex, Pattern.MULTILINE).matcher(Files.readString(Path.of(file)));
      return m.find() ? m.group(1).trim() : "?";
    } catch (IOException e) {
      return "?";
    }
  }

  private static String command(String... argv) {
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? s : "?";
    } catch (IOException | InterruptedException e) {
      return "?";
    }
  }

  // ------------------------------------------------------------------------------ dockerd

  private interface Step {
    void run() throws Exception;
  }

  /**
   * Runs {@code step} holding the shared engine's lock: when someone holds it already (whoever ran
   * this test under {@code flock}, as COMMON.md asks), this test runs within it; otherwise
   * (test/run on a machine of its own) it takes it for the step.
   */
  private void withDockerLock(Step step) throws Exception {
    Process probe = new ProcessBuilder("flock", "-n", LOCK, "true").start();
    boolean free = probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
    if (!free) {
      step.run();
      return;
    }
    // Hold it from a child process for as long as the step runs.
    Process holder = new ProcessBuilder("flock", LOCK, "sleep", "600").start();
    try {
      Thread.sleep(200);
      step.run();
    } finally {
      holder.descendants().forEach(ProcessHandle::destroy);
      holder.destroy();
    }
  }

  /**
   * The dockerd rows need the engine test/env/up now starts (with --live-restore); an engine
   * started before that flag existed is restarted once, with no row running.
   */
  private void ensureLiveRestore() throws Exception {
    if (command(
            "docker", "--host=" + env.dockerHost(), "info", "--format", "{{.LiveRestoreEnabled}}")
        .equals("true")) {
      return;
    }
    withDockerLock(
        () -> {
          stopDockerd();
          Process up = new ProcessBuilder(envUp()).redirectErrorStream(true).start();
          String output = new String(up.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          if (!up.waitFor(5, TimeUnit.MINUTES) || up.exitValue() != 0) {
            throw new IllegalStateException("test/env/up failed: " + output);
          }
        });
    engineNote =
        " The engine ran without live-restore, so it was restarted once (test/env/up, now with"
            + " --live-restore) before the dockerd rows.";
  }

  private static String envUp() {
    return Path.of(System.getProperty("driftguard.repo", "."))
        .resolve("test/env/up")
        .toAbsolutePath()
        .toString();
  }

  /** Stops the dockerd that test/env/up started (its pid file), and waits for it to be gone. */
  private void stopDockerd() throws Exception {
    Path pidFile = Path.of(env.get("state.dir"), "dockerd.pid");
    if (!Files.exists(pidFile)) {
      throw new IllegalStateException(
          "no "
              + pidFile
              + ": this dockerd was not started by test/env/up, which"
              + " alone may restart it");
    }
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    ProcessHandle dockerd =
        ProcessHandle.of(pid)
            .filter(p -> p.info().command().orElse("").endsWith("dockerd"))
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "pid " + pid + " in " + pidFile + " is not a running dockerd"));
    dockerd.destroy();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (dockerd.isAlive() && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
    }
    if (dockerd.isAlive()) {
      throw new IllegalStateException("dockerd " + pid + " did not stop within 60 s");
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
  }

  private static String stackOf(Throwable e) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }
}
