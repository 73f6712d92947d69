package dev.driftguard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.cli.AgentProcess;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.reconcile.Reconciler;
import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.testing.Scratch;
import dev.driftguard.testing.TestEnv;
import dev.driftguard.testing.aws.ImdsServer;
import dev.driftguard.testing.aws.LocalAws;
import dev.driftguard.testing.aws.TargetGroup;
import dev.driftguard.testing.aws.TargetGroup.Health;
import dev.driftguard.testing.aws.TargetGroup.StateChange;
import dev.driftguard.testing.aws.TargetGroupConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fleet end to end under load (issue 3): four agents as separate processes (the shaded jar,
 * each its own instance id, IMDS server, host ports and state), one Docker engine, the local AWS
 * endpoint's SSM, ECR, EC2 and an ELBv2 target group whose reverse proxy carries a steady request
 * load from the first rollout to the last. Every rollout must lose no request, keep at most {@code
 * maxUnavailable} hosts out of service at once (from the target group's own timeline), and end with
 * every host on the desired digest, idle and registered healthy. A baseline beside it rolls the
 * same hosts by hand ({@code docker pull} + restart, no deregistration) under the same load.
 *
 * <p>The phases run in order on one fleet and each is its own test, so the report (printed and
 * written to {@code <build dir>/e2e-report.md}) shows every phase even when one fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetRolloutIT {
  private static final int HOSTS = 4;
  private static final int MAX_UNAVAILABLE = 1;
  private static final String SERVICE = "web";
  private static final String PARAMETER = "/driftguard/" + SERVICE + "/image";
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final Duration DEREGISTRATION_DELAY = Duration.ofSeconds(3);
  private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  /**
   * Just under the interval (AWS's own minimum is 2 s). With 500 ms, four agent JVMs starting at
   * once on a 2-core machine starved the checker and the containers long enough for two checks in a
   * row to time out (CI, 2026-12-02): a flapping target that no agent caused.
   */
  private static final Duration CHECK_TIMEOUT = Duration.ofMillis(900);

  private static final int LOAD_RATE = 30;
  private static final int LOAD_WORKERS = 4;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration LOAD_MAX_DURATION = Duration.ofMinutes(12);
  private static final Duration ROLLOUT_TIMEOUT = Duration.ofMinutes(3);
  private static final String TAG_PREFIX = "driftguard:" + SERVICE + ":";

  /** Long enough for an agent to call a running container unhealthy and act on it. */
  private static final Duration SETTLE = POLL.multipliedBy(Reconciler.UNHEALTHY_PASSES + 2);

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<PhaseResult> results = new ArrayList<>();
  private final List<Host> hosts = new ArrayList<>();
  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private TestEnv env;
  private DockerContainerRuntime docker;
  private LocalAws aws;
  private TargetGroup group;
  private LoadGenerator load;
  private Path out;
  private Thread reaper;
  private Instant fleetUpAt;
  private Duration fleetUpTook;

  /** One simulated host: an EC2 instance, its metadata server, its agent and its ports. */
  private static final class Host {
    final int index;
    final String instanceId;
    final String container;
    final int port;
    final int nextPort;
    final Path dir;
    final ImdsServer imds;
    AgentProcess agent;
    Path log;
    int generation;

    Host(
        int index,
        String instanceId,
        String container,
        int port,
        int nextPort,
        Path dir,
        ImdsServer imds) {
      this.index = index;
      this.instanceId = instanceId;
      this.container = container;
      this.port = port;
      this.nextPort = nextPort;
      this.dir = dir;
      this.imds = imds;
    }

    Path config() {
      return dir.resolve("driftguard.yaml");
    }

    @Override
    public String toString() {
      return "h" + index + "(" + instanceId + ")";
    }
  }

  /** What one phase measured; written to the report whatever its assertions say. */
  private record PhaseResult(
      String name,
      String strategy,
      Instant start,
      Instant end,
      Duration rollout,
      int sent,
      int failed,
      int maxOut,
      Duration longestOut,
      String notes) {}

  // ------------------------------------------------------------------------------------ fleet

  @BeforeAll
  void startFleet() throws Exception {
    env = TestEnv.load();
    docker = DockerContainerRuntime.create(env.dockerHost());
    Path jar =
        Path.of(System.getProperty("driftguard.jar", "target/driftguard.jar")).toAbsolutePath();
    assertThat(jar).as("the shaded jar (mvn package) that the agents run").exists();
    out = jar.getParent().resolve("e2e");
    Files.createDirectories(out);
    reaper = new Thread(this::stopAgentsNow, "e2e-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);

    aws = LocalAws.builder().registryPasswordFromTestEnv().start();
    aws.ecr().registerTestEnvImages();
    String arn =
        aws.elbv2()
            .createTargetGroup(
                new TargetGroupConfig(
                    SERVICE,
                    80,
                    "/healthz",
                    2,
                    2,
                    CHECK_INTERVAL,
                    CHECK_TIMEOUT,
                    DEREGISTRATION_DELAY));
    group = aws.targetGroup(arn);
    int proxy = group.proxyPort();

    for (int i = 1; i <= HOSTS; i++) {
      String id = String.format(Locale.ROOT, "i-0e2e%013d", i);
      aws.addInstance(id, Map.of("Name", SERVICE));
      Path dir = out.resolve("h" + i);
      Scratch.deleteRecursively(dir);
      Files.createDirectories(dir);
      Host host =
          new Host(
              i,
              id,
              "e2e-" + run + "-h" + i,
              Scratch.freePort(),
              Scratch.freePort(),
              dir,
              aws.imds(id));
      hosts.add(host);
      writeConfig(host, "stop-first");
    }
    for (Host h : hosts) {
      startAgent(h);
    }
    Instant pinned = Instant.now();
    pin("v1");
    awaitFleet("the first deploy of v1", image("v1"), null, ROLLOUT_TIMEOUT);
    fleetUpTook = Duration.between(pinned, Instant.now());
    fleetUpAt = Instant.now();

    load =
        new LoadGenerator(
            URI.create("http://127.0.0.1:" + proxy + "/"),
            LOAD_WORKERS,
            LOAD_RATE,
            REQUEST_TIMEOUT,
            LOAD_RATE * (int) LOAD_MAX_DURATION.toSeconds(),
            LOAD_MAX_DURATION);
    load.phase("steady on v1");
    load.start();
    Thread.sleep(3000);
  }

  @AfterAll
  void stopFleet() throws Exception {
    try {
      if (load != null) {
        load.close();
      }
      writeReport();
    } finally {
      stopAgentsNow();
      for (Host h : hosts) {
        for (String name : List.of(h.container, h.container + "-previous", h.container + "-next")) {
          try {
            docker.remove(name);
          } catch (RuntimeException e) {
            System.err.println("e2e clean-up: cannot remove " + name + ": " + e.getMessage());
          }
        }
      }
      if (aws != null) {
        aws.close();
      }
      if (docker != null) {
        docker.close();
      }
      if (reaper != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
          // Shutting down already: the hook runs anyway.
        }
      }
    }
  }

  // ----------------------------------------------------------------------------------- phases

  @Test
  @Order(1)
  void stopFirst_v1ToV2_losesNoRequest_andKeepsMaxUnavailable() throws Exception {
    Phase phase = begin("stop-first v1 → v2", "stop-first");
    pin("v2");
    awaitFleet(phase.name, image("v2"), null, ROLLOUT_TIMEOUT);
    phase.converged();
    PhaseResult r = phase.end("");

    assertThat(r.failed()).as(failures(phase)).isZero();
    assertThat(r.maxOut())
        .as("hosts out of service at once\n" + timeline(phase))
        .isLessThanOrEqualTo(MAX_UNAVAILABLE);
    assertSettled(phase, image("v2"), null);
    assertThat(deploysPerHost(phase))
        .as("one deploy (one new registration) per host\n" + timeline(phase))
        .containsOnlyKeys(instanceIds())
        .allSatisfy((host, n) -> assertThat(n).isEqualTo(1));
    assertThat(hostsThat(phase, TargetGroup.DRAINING))
        .as("every host left the target group around its restart\n" + timeline(phase))
        .hasSize(HOSTS);
    assertThat(load.versions(phase.name))
        .as("traffic moved from v1 to v2")
        .containsKeys("version=v1", "version=v2");
  }

  @Test
  @Order(2)
  void unhealthyImage_stopFirst_rollsBackOnAtMostMaxUnavailableHosts() throws Exception {
    Phase phase = begin("unhealthy image, stop-first", "stop-first");
    ImageRef bad = image("unhealthy");
    pin("unhealthy");
    awaitFleet(phase.name, image("v2"), bad.digest(), ROLLOUT_TIMEOUT);
    phase.converged();
    Map<String, String> outcomes = publishedOutcomes();
    List<String> tried = tried(outcomes);
    PhaseResult r =
        phase.end(
            tried.size()
                + " of "
                + HOSTS
                + " hosts tried the image and rolled back, the others"
                + " refused it (circuit breaker)");

    assertThat(r.failed()).as(failures(phase)).isZero();
    assertThat(r.maxOut())
        .as("hosts out of service at once\n" + timeline(phase))
        .isLessThanOrEqualTo(MAX_UNAVAILABLE);
    assertSettled(phase, image("v2"), bad.digest());
    assertThat(tried)
        .as(
            "hosts that tried the unhealthy image (circuit breaker: at most maxUnavailable); outcomes "
                + outcomes
                + "\n"
                + timeline(phase))
        .hasSizeBetween(1, MAX_UNAVAILABLE);
    assertThat(outcomes.values())
        .as("the others refused the digest a peer had rolled back")
        .allSatisfy(o -> assertThat(o).isIn("rolled_back", "failed"));
  }

  @Test
  @Order(3)
  void agentRestart_intoStartFirst_isInvisibleToTraffic() throws Exception {
    Phase phase = begin("agent restart (all 4, SIGTERM → start-first config)", "-");
    Map<String, String> before = containerIds();
    for (Host h : hosts) {
      h.agent.terminate();
    }
    for (Host h : hosts) {
      assertThat(h.agent.waitFor(Duration.ofSeconds(30))).as(tail(h)).isIn(0, 143);
      writeConfig(h, "start-first");
    }
    for (Host h : hosts) {
      startAgent(h);
    }
    for (Host h : hosts) {
      awaitLog(h, "reconcile loop started", Duration.ofSeconds(60));
    }
    // Three passes of every agent with the new configuration, under load.
    Thread.sleep(POLL.multipliedBy(3).toMillis());
    awaitFleet(phase.name, image("v2"), null, Duration.ofSeconds(30));
    PhaseResult r = phase.end("");

    assertThat(r.failed()).as(failures(phase)).isZero();
    assertThat(containerIds()).as("no container was touched").isEqualTo(before);
    assertThat(changes(phase)).as("no target changed state while the agents restarted").isEmpty();
  }

  @Test
  @Order(4)
  void startFirst_v2ToV1_losesNoRequest_andCapacityNeverDips() throws Exception {
    Phase phase = begin("start-first v2 → v1", "start-first");
    pin("v1");
    awaitFleet(phase.name, image("v1"), null, ROLLOUT_TIMEOUT);
    phase.converged();
    PhaseResult r = phase.end("");

    assertThat(r.failed()).as(failures(phase)).isZero();
    assertThat(r.maxOut())
        .as("hosts out of service at once\n" + timeline(phase))
        .isLessThanOrEqualTo(MAX_UNAVAILABLE);
    assertThat(r.maxOut()).as("start-first: capacity never dips\n" + timeline(phase)).isZero();
    assertSettled(phase, image("v1"), null);
    assertThat(deploysPerHost(phase))
        .as("one deploy (one new registration) per host\n" + timeline(phase))
        .containsOnlyKeys(instanceIds())
        .allSatisfy((host, n) -> assertThat(n).isEqualTo(1));
    for (Host h : hosts) {
      assertThat(docker.inspect(h.container).flatMap(ContainerInfo::hostPort))
          .as(h + " serves from its second port (rollout.nextPort) now")
          .contains(h.nextPort);
    }
    assertThat(load.versions(phase.name))
        .as("traffic moved from v2 to v1")
        .containsKeys("version=v1", "version=v2");
  }

  @Test
  @Order(5)
  void unhealthyImage_startFirst_rollsBack_losingNoRequest() throws Exception {
    Phase phase = begin("unhealthy image, start-first", "start-first");
    ImageRef bad = image("unhealthy");
    pin("unhealthy");
    awaitFleet(phase.name, image("v1"), bad.digest(), ROLLOUT_TIMEOUT);
    phase.converged();
    Map<String, String> outcomes = publishedOutcomes();
    List<String> tried = tried(outcomes);
    PhaseResult r =
        phase.end(tried.size() + " of " + HOSTS + " hosts tried the image and rolled back");

    assertThat(r.failed()).as(failures(phase)).isZero();
    assertThat(r.maxOut()).as("start-first: capacity never dips\n" + timeline(phase)).isZero();
    assertSettled(phase, image("v1"), bad.digest());
    assertThat(outcomes.values()).allSatisfy(o -> assertThat(o).isIn("rolled_back", "failed"));
    assertThat(tried)
        .as(
            "hosts that tried the unhealthy image (circuit breaker, DESIGN 4: a bad digest reaches at"
                + " most maxUnavailable hosts); outcomes "
                + outcomes
                + "\n"
                + timeline(phase))
        .hasSizeBetween(1, MAX_UNAVAILABLE);
  }

  @Test
  @Order(6)
  void baseline_pullAndRestartByHand_noDeregistration() throws Exception {
    Phase stop = begin("agents stopped (SIGTERM)", "-");
    for (Host h : hosts) {
      h.agent.terminate();
    }
    for (Host h : hosts) {
      assertThat(h.agent.waitFor(Duration.ofSeconds(30))).as(tail(h)).isIn(0, 143);
    }
    Thread.sleep(POLL.toMillis());
    PhaseResult stopped = stop.end("");
    assertThat(stopped.failed()).as(failures(stop)).isZero();

    Phase phase = begin("baseline: docker pull + restart, no deregistration", "by hand");
    ImageRef v2 = image("v2");
    for (Host h : hosts) {
      int port = docker.inspect(h.container).flatMap(ContainerInfo::hostPort).orElse(h.port);
      dockerCli("pull", "-q", v2.pinned());
      dockerCli("rm", "-f", h.container);
      dockerCli(
          "run", "-d", "--name", h.container, "-p", "127.0.0.1:" + port + ":8080", v2.pinned());
      // As a careful script would: wait until the new container answers before the next host.
      awaitAnswer(port, Duration.ofSeconds(30));
    }
    awaitTrue(
        "the target group all healthy after the baseline",
        Duration.ofSeconds(60),
        () -> {
          List<Health> health = group.health();
          return health.size() == HOSTS
                  && health.stream().allMatch(x -> x.state().equals(TargetGroup.HEALTHY))
              ? Optional.empty()
              : Optional.of(health.toString());
        });
    PhaseResult r =
        phase.end("requests routed to a restarting host fail: expected, it is the baseline");

    // The baseline's failures are its point; it must only have run under the same load.
    assertThat(r.sent()).as("the baseline ran under load").isPositive();
    assertThat(load.exhausted()).as("the load lasted the whole run").isFalse();
  }

  // ------------------------------------------------------------------------------ measurement

  /** A phase being measured: requests sent from now on are counted under its name. */
  private final class Phase {
    final String name;
    final String strategy;
    final Instant start = Instant.now();
    Instant converged;

    Phase(String name, String strategy) {
      this.name = name;
      this.strategy = strategy;
    }

    /**
     * The fleet reached the phase's goal: the rollout time ends here. The phase goes on for {@link
     * #SETTLE} so that anything the agents do after converging (they should do nothing) is seen.
     */
    void converged() throws InterruptedException {
      converged = Instant.now();
      Thread.sleep(SETTLE.toMillis());
    }

    /** Target state changes after the fleet converged. */
    List<StateChange> changesAfterConverging() {
      return converged == null
          ? List.of()
          : group.timeline().stream().filter(c -> c.at().isAfter(converged)).toList();
    }

    PhaseResult end(String notes) {
      Instant end = Instant.now();
      load.phase("after " + name);
      int[] counts = load.countsByPhase().getOrDefault(name, new int[2]);
      Outages outages = Outages.of(group.timeline());
      Duration rollout = Duration.between(start, converged == null ? end : converged);
      PhaseResult r =
          new PhaseResult(
              name,
              strategy,
              start,
              end,
              rollout,
              counts[0],
              counts[1],
              outages.maxConcurrent(start, end),
              outages.longest(start, end),
              notes);
      results.add(r);
      System.out.printf(
          Locale.ROOT,
          "e2e phase '%s': %d requests, %d failed, %.1fs, at most %d host(s) out,"
              + " longest out %.1fs %s%n",
          name,
          r.sent(),
          r.failed(),
          seconds(r.rollout()),
          r.maxOut(),
          seconds(r.longestOut()),
          notes);
      return r;
    }
  }

  private Phase begin(String name, String strategy) {
    assertThat(load).as("the fleet came up").isNotNull();
    assertThat(load.exhausted()).as("the load is still running").isFalse();
    load.phase(name);
    return new Phase(name, strategy);
  }

  private List<StateChange> changes(Phase phase) {
    return group.timeline().stream().filter(c -> !c.at().isBefore(phase.start)).toList();
  }

  /** The hosts that had a target go {@code state} during the phase. */
  private Set<String> hostsThat(Phase phase, String state) {
    return changes(phase).stream()
        .filter(c -> c.to().equals(state))
        .map(c -> c.target().id())
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  private String timeline(Phase phase) {
    return "target group timeline of the phase:\n"
        + changes(phase).stream()
            .map(
                c ->
                    "  "
                        + c.at()
                        + " "
                        + c.target()
                        + " "
                        + c.from()
                        + " -> "
                        + c.to()
                        + " ("
                        + c.reason()
                        + ")")
            .collect(Collectors.joining("\n"));
  }

  private String failures(Phase phase) {
    List<LoadGenerator.Outcome> failed =
        load.outcomes(o -> o.phase().equals(phase.name) && o.failed());
    return "failed requests in '"
        + phase.name
        + "' (first 20 of "
        + failed.size()
        + "):\n"
        + failed.stream().limit(20).map(o -> "  " + o).collect(Collectors.joining("\n"))
        + "\n"
        + timeline(phase)
        + "\n"
        + hosts.stream().map(this::tail).collect(Collectors.joining("\n"));
  }

  // --------------------------------------------------------------------------------- the fleet

  /**
   * Waits until every host runs {@code digest}'s image, idle, published, registered and healthy on
   * the port its container publishes (and on nothing else); with {@code refused} set, also until
   * every host has decided about that digest (published it as failed: rolled back or refused).
   */
  private void awaitFleet(String what, ImageRef image, Digest refused, Duration timeout)
      throws Exception {
    awaitTrue(
        what,
        timeout,
        () -> {
          List<String> why = new ArrayList<>();
          for (Host h : hosts) {
            notConverged(h, image.digest(), refused).ifPresent(w -> why.add(h + ": " + w));
          }
          return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", why));
        });
  }

  private Optional<String> notConverged(Host h, Digest digest, Digest refused) {
    Optional<ContainerInfo> container = docker.inspect(h.container);
    if (container.isEmpty() || !container.get().running()) {
      return Optional.of("container not running");
    }
    if (!container.get().digest().equals(Optional.of(digest))) {
      return Optional.of("runs " + container.get().digest().map(Digest::shortForm).orElse("?"));
    }
    if (docker.inspect(h.container + "-next").isPresent()) {
      return Optional.of(h.container + "-next still exists");
    }
    Map<String, String> tags = aws.ec2().tags(h.instanceId);
    if (!"idle".equals(tags.get(TAG_PREFIX + "phase"))) {
      return Optional.of("published phase " + tags.get(TAG_PREFIX + "phase"));
    }
    if (!digest.value().equals(tags.get(TAG_PREFIX + "running"))) {
      return Optional.of("published running " + tags.get(TAG_PREFIX + "running"));
    }
    if (refused != null && !refused.value().equals(tags.get(TAG_PREFIX + "failed"))) {
      return Optional.of("has not published " + refused.shortForm() + " as failed yet");
    }
    int port = container.get().hostPort().orElse(-1);
    List<Health> targets =
        group.health().stream().filter(t -> t.target().id().equals(h.instanceId)).toList();
    if (targets.size() != 1
        || targets.get(0).target().port() != port
        || !targets.get(0).state().equals(TargetGroup.HEALTHY)) {
      return Optional.of(
          "targets "
              + targets.stream().map(t -> t.target().port() + "=" + t.state()).toList()
              + ", container on "
              + port);
    }
    return Optional.empty();
  }

  /** After converging, nothing changed in the target group and the fleet is still converged. */
  private void assertSettled(Phase phase, ImageRef image, Digest refused) {
    assertThat(phase.changesAfterConverging())
        .as(
            "the fleet stays as it converged for "
                + SETTLE.toSeconds()
                + " s (no deploy after the rollout)\n"
                + timeline(phase))
        .isEmpty();
    List<String> why = new ArrayList<>();
    for (Host h : hosts) {
      notConverged(h, image.digest(), refused).ifPresent(w -> why.add(h + ": " + w));
    }
    assertThat(why).as("still converged after " + SETTLE.toSeconds() + " s").isEmpty();
  }

  /** New registrations (a target going unused to initial) per host during the phase. */
  private Map<String, Integer> deploysPerHost(Phase phase) {
    Map<String, Integer> n = new java.util.TreeMap<>();
    for (StateChange c : changes(phase)) {
      if (c.from().equals(TargetGroup.UNUSED) && c.to().equals(TargetGroup.INITIAL)) {
        n.merge(c.target().id(), 1, Integer::sum);
      }
    }
    return n;
  }

  private String[] instanceIds() {
    return hosts.stream().map(h -> h.instanceId).toArray(String[]::new);
  }

  private static List<String> tried(Map<String, String> outcomes) {
    return outcomes.entrySet().stream()
        .filter(e -> e.getValue().equals("rolled_back"))
        .map(Map.Entry::getKey)
        .toList();
  }

  /** Each host's last published deploy outcome, by instance id. */
  private Map<String, String> publishedOutcomes() {
    Map<String, String> outcomes = new LinkedHashMap<>();
    for (Host h : hosts) {
      outcomes.put(
          h.instanceId, aws.ec2().tags(h.instanceId).getOrDefault(TAG_PREFIX + "outcome", ""));
    }
    return outcomes;
  }

  private Map<String, String> containerIds() {
    Map<String, String> ids = new LinkedHashMap<>();
    for (Host h : hosts) {
      ids.put(h.container, docker.inspect(h.container).map(ContainerInfo::id).orElse("(none)"));
    }
    return ids;
  }

  private void writeConfig(Host h, String strategy) throws IOException {
    String rollout =
        strategy.equals("start-first")
            ? "{ strategy: start-first, maxUnavailable: "
                + MAX_UNAVAILABLE
                + ", nextPort: "
                + h.nextPort
                + " }"
            : "{ strategy: stop-first, maxUnavailable: " + MAX_UNAVAILABLE + " }";
    String endpoint = aws.endpoint().toString();
    Files.writeString(
        h.config(),
        """
        # e2e fleet host %d (%s): written by FleetRolloutIT
        agent:
          pollInterval: %ds
          metrics: { listen: "127.0.0.1:0" }
          status: { listen: "127.0.0.1:0" }
          stateDir: %s
          docker: { host: "%s" }
          aws:
            region: us-east-1
            instanceId: auto
            endpoints: { ssm: "%s", ecr: "%s", ec2: "%s", elbv2: "%s", dynamodb: "%s", imds: "%s" }
        services:
          - name: "${tag:Name}"
            desired:
              ssmParameter: %s
              allowedRegistries: ["%s"]
            container:
              name: %s
              ports: ["127.0.0.1:%d:8080"]
              stopTimeout: 5s
            health: { type: http, port: 8080, path: /healthz, interval: 500ms, timeout: 400ms, healthyThreshold: 2, deadline: 8s }
            traffic:
              targetGroupArn: %s
              port: %d
              healthyDeadline: 30s
            rollout: %s
        """
            .formatted(
                h.index,
                h.instanceId,
                POLL.toSeconds(),
                h.dir.resolve("state"),
                env.dockerHost(),
                endpoint,
                endpoint,
                endpoint,
                endpoint,
                endpoint,
                h.imds.endpoint(),
                PARAMETER,
                env.registryHost(),
                h.container,
                h.port,
                group.arn(),
                h.port,
                rollout));
  }

  private void startAgent(Host h) throws IOException {
    h.generation++;
    h.log = h.dir.resolve("agent-" + h.generation + ".log");
    h.agent =
        AgentProcess.start(
            h.config(),
            Map.of(
                "AWS_ACCESS_KEY_ID",
                "AKIALOCALAWSTEST0000",
                "AWS_SECRET_ACCESS_KEY",
                "local-aws-secret"),
            h.log,
            "run");
  }

  private void stopAgentsNow() {
    for (Host h : hosts) {
      if (h.agent != null && h.agent.isAlive()) {
        h.agent.terminate();
      }
    }
    for (Host h : hosts) {
      if (h.agent != null) {
        try {
          h.agent.waitFor(Duration.ofSeconds(10));
        } catch (AssertionError | InterruptedException e) {
          h.agent.close();
        }
      }
    }
  }

  private void pin(String variant) {
    aws.ssm().put(PARAMETER, image(variant).toString());
  }

  private ImageRef image(String variant) {
    return env.image(variant);
  }

  // ----------------------------------------------------------------------------------- helpers

  private void awaitTrue(String what, Duration timeout, Supplier<Optional<String>> notYet)
      throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    Optional<String> why = notYet.get();
    while (why.isPresent()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            what
                + ": not reached within "
                + timeout
                + ": "
                + why.get()
                + "\n"
                + hosts.stream().map(this::tail).collect(Collectors.joining("\n")));
      }
      Thread.sleep(250);
      why = notYet.get();
    }
  }

  private void awaitLog(Host h, String line, Duration timeout) throws Exception {
    awaitTrue(
        h + " logs '" + line + "'",
        timeout,
        () ->
            read(h.log).contains(line)
                ? Optional.empty()
                : Optional.of(h.agent.isAlive() ? "not yet" : "agent exited"));
  }

  private void awaitAnswer(int port, Duration timeout) throws Exception {
    awaitTrue(
        "the container on port " + port + " answers",
        timeout,
        () -> {
          try {
            HttpResponse<String> r =
                http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                        .timeout(Duration.ofSeconds(1))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.empty() : Optional.of("HTTP " + r.statusCode());
          } catch (IOException e) {
            return Optional.of(e.toString());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
          }
        });
  }

  private void dockerCli(String... args) throws Exception {
    List<String> argv =
        new ArrayList<>(List.of("docker", "--config", env.get("state.dir") + "/docker-client"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError("docker " + String.join(" ", args) + " failed: " + output);
    }
  }

  private String tail(Host h) {
    List<String> lines = read(h.log).lines().toList();
    return "--- "
        + h
        + " "
        + h.log
        + " (last 25 lines)\n"
        + String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
  }

  private static String read(Path file) {
    try {
      return file != null && Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }

  // ------------------------------------------------------------------------------------ report

  private void writeReport() throws IOException {
    if (out == null) {
      return;
    }
    StringBuilder md = new StringBuilder();
    md.append("# Fleet rollout under load (FleetRolloutIT)\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "%d hosts (agent processes), maxUnavailable %d, load %d req/s through the"
                + " target group's proxy (%d workers, %ds timeout), target group: health check every %ds (timeout %d ms), healthy after 2,"
                + " deregistration delay %ds, agents poll every %ds.%n%n",
            HOSTS,
            MAX_UNAVAILABLE,
            LOAD_RATE,
            LOAD_WORKERS,
            REQUEST_TIMEOUT.toSeconds(),
            CHECK_INTERVAL.toSeconds(),
            CHECK_TIMEOUT.toMillis(),
            DEREGISTRATION_DELAY.toSeconds(),
            POLL.toSeconds()));
    if (fleetUpTook != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "First deploy of v1 on all hosts (no load yet): %.1f s.%n%n",
              seconds(fleetUpTook)));
    }
    md.append(
        "| phase | strategy | rollout time | requests | failed | max hosts out at once | longest out of service | notes |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    int sent = 0;
    int failed = 0;
    for (PhaseResult r : results) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.1f s | %d | %d | %d | %.1f s | %s |%n",
              r.name(),
              r.strategy(),
              seconds(r.rollout()),
              r.sent(),
              r.failed(),
              r.maxOut(),
              seconds(r.longestOut()),
              r.notes()));
      if (!r.strategy().equals("by hand")) {
        sent += r.sent();
        failed += r.failed();
      }
    }
    Map<String, int[]> byPhase = load == null ? Map.of() : load.countsByPhase();
    int agentRun = 0;
    int agentRunFailed = 0;
    for (Map.Entry<String, int[]> e : byPhase.entrySet()) {
      if (!e.getKey().contains("baseline")) {
        agentRun += e.getValue()[0];
        agentRunFailed += e.getValue()[1];
      }
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%ndriftguard phases: %d requests, %d failed. Everything before the baseline"
                + " (phases, the gaps between them, agents stopping): %d requests, %d failed.%n",
            sent,
            failed,
            agentRun,
            agentRunFailed));
    if (group != null) {
      Instant baselineStart =
          results.stream()
              .filter(r -> r.strategy().equals("by hand"))
              .map(PhaseResult::start)
              .findFirst()
              .orElse(Instant.MAX);
      List<StateChange> agentRunTimeline =
          group.timeline().stream().filter(c -> c.at().isBefore(baselineStart)).toList();
      md.append(
          String.format(
              Locale.ROOT,
              "Before the baseline, the target group's timeline shows at most %d host(s)"
                  + " out of service at once (TargetGroup.maxHostsOutOfService, initial join ignored).%n",
              TargetGroup.maxHostsOutOfService(agentRunTimeline)));
    }
    md.append("\nRequests per phase label (sent, failed): ");
    md.append(
            byPhase.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()[0] + "/" + e.getValue()[1])
                .collect(Collectors.joining(", ")))
        .append('\n');
    String text = md.toString();
    System.out.println(text);
    Path report = out.getParent().resolve("e2e-report.md");
    Files.writeString(report, text);
    if (group != null) {
      Files.writeString(
          out.resolve("timeline.txt"),
          group.timeline().stream()
              .map(
                  c ->
                      c.at()
                          + " "
                          + c.target()
                          + " "
                          + c.from()
                          + " -> "
                          + c.to()
                          + " ("
                          + c.reason()
                          + ")")
              .collect(Collectors.joining("\n", "", "\n")));
    }
    if (load != null) {
      Files.writeString(
          out.resolve("failed-requests.txt"),
          load.outcomes(LoadGenerator.Outcome::failed).stream()
              .map(Object::toString)
              .collect(Collectors.joining("\n", "", "\n")));
    }
  }
}
