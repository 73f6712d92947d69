package dev.driftguard.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftguard.cli.AgentProcess;
import dev.driftguard.fleet.PublishedStateTags;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.Digest;
import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.testing.aws.LocalAws;
import dev.driftguard.testing.aws.TargetGroup;
import dev.driftguard.testing.aws.TargetGroup.Health;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One host of a fault-matrix row: an EC2 instance of the row's local AWS endpoint, the real agent
 * as a process (restarted like systemd's {@code Restart=always} when it exits on its own), its
 * containers on the shared engine under names of its own, its host ports and state directory.
 */
final class MatrixHost implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** systemd waits 5 s (RestartSec); the matrix 1 s, to stay short. */
  static final Duration RESTART_DELAY = Duration.ofSeconds(1);

  /** How the host is configured; everything the agent's YAML needs. */
  record Settings(
      String service,
      String container,
      String instanceId,
      String strategy,
      int port,
      int nextPort,
      String groupArn,
      String registry,
      Path dir,
      URI dockerHost) {}

  final Settings settings;
  private final LocalAws aws;
  private final DockerContainerRuntime docker;
  private final List<Instant> unexpectedExits = new ArrayList<>();
  private final List<Path> logs = new ArrayList<>();
  private AgentProcess agent;
  private volatile boolean expectExit;
  private volatile boolean closed;
  private Thread supervisor;

  MatrixHost(Settings settings, LocalAws aws, DockerContainerRuntime docker) throws IOException {
    this.settings = settings;
    this.aws = aws;
    this.docker = docker;
    Files.createDirectories(settings.dir());
    Files.createDirectories(stateDir());
    writeConfig();
  }

  Path stateDir() {
    return settings.dir().resolve("state");
  }

  String service() {
    return settings.service();
  }

  String container() {
    return settings.container();
  }

  /** Starts the agent ({@code driftguard run}) and its supervisor. */
  synchronized void start() throws IOException {
    Path log = settings.dir().resolve("agent-" + (logs.size() + 1) + ".log");
    logs.add(log);
    expectExit = false;
    agent =
        AgentProcess.start(
            settings.dir().resolve("driftguard.yaml"),
            Map.of(
                "AWS_ACCESS_KEY_ID",
                "AKIALOCALAWSTEST0000",
                "AWS_SECRET_ACCESS_KEY",
                "local-aws-secret"),
            log,
            "run");
    AgentProcess watched = agent;
    supervisor = new Thread(() -> supervise(watched), "matrix-supervisor-" + settings.container());
    supervisor.setDaemon(true);
    supervisor.start();
  }

  /** kill -9: no shutdown hook, no clean-up. */
  void kill() throws InterruptedException {
    AgentProcess current;
    synchronized (this) {
      expectExit = true;
      current = agent;
    }
    current.kill();
  }

  /** SIGTERM and wait, as systemd stops the agent. */
  void stop() throws InterruptedException {
    AgentProcess current;
    synchronized (this) {
      expectExit = true;
      current = agent;
    }
    if (current != null && current.isAlive()) {
      current.terminate();
      try {
        current.waitFor(Duration.ofSeconds(20));
      } catch (AssertionError e) {
        current.kill();
      }
    }
  }

  /** Times the agent exited without being asked to (a crash loop shows here). */
  synchronized List<Instant> unexpectedExits() {
    return List.copyOf(unexpectedExits);
  }

  private void supervise(AgentProcess watched) {
    while (watched.isAlive()) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
    synchronized (this) {
      if (expectExit || closed || watched != agent) {
        return;
      }
      unexpectedExits.add(Instant.now());
    }
    try {
      Thread.sleep(RESTART_DELAY.toMillis());
      synchronized (this) {
        if (!closed && watched == agent) {
          start();
        }
      }
    } catch (InterruptedException | IOException e) {
      // Closing.
    }
  }

  // ---- what the host shows ---------------------------------------------------------------

  /** The service's entry of the state file, if readable. */
  Optional<JsonNode> stateEntry() {
    Path file = stateDir().resolve("state.json");
    try {
      if (!Files.exists(file)) {
        return Optional.empty();
      }
      JsonNode root = JSON.readTree(file.toFile());
      // Format 2 nests the services under "services" (FileStateStore).
      JsonNode entry = root == null ? null : root.path("services").get(settings.service());
      return Optional.ofNullable(entry);
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // caught mid-rename, or unreadable: the next read decides
    }
  }

  /** The saved phase ({@code IDLE} when none is saved yet). */
  String phase() {
    return stateEntry().map(e -> e.path("phase").asText("IDLE")).orElse("IDLE");
  }

  /** The digest the state file remembers as failed, if any. */
  Optional<String> failedInState() {
    return stateEntry().map(e -> e.path("failed").asText("")).filter(s -> !s.isEmpty());
  }

  /** The digest this host publishes as failed (the circuit breaker's tag), if any. */
  Optional<String> failedPublished() {
    String tag =
        aws.ec2()
            .tags(settings.instanceId())
            .get(PublishedStateTags.key(settings.service(), PublishedStateTags.FAILED));
    return Optional.ofNullable(tag).filter(s -> !s.isEmpty());
  }

  /** The outcome this host publishes for its last deploy. */
  String outcomePublished() {
    return aws.ec2()
        .tags(settings.instanceId())
        .getOrDefault(PublishedStateTags.key(settings.service(), PublishedStateTags.OUTCOME), "");
  }

  Optional<ContainerInfo> serving() {
    try {
      return docker.inspect(settings.container());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** This instance's targets in the group (none without traffic). */
  List<Health> targets() {
    if (settings.groupArn() == null) {
      return List.of();
    }
    return aws.targetGroup(settings.groupArn()).health().stream()
        .filter(h -> h.target().id().equals(settings.instanceId()))
        .toList();
  }

  /**
   * Registered healthy exactly on the port the serving container publishes (always true without
   * traffic).
   */
  boolean registered() {
    if (settings.groupArn() == null) {
      return true;
    }
    Optional<ContainerInfo> c = serving();
    int port = c.flatMap(ContainerInfo::hostPort).orElse(-1);
    List<Health> mine = targets();
    return mine.size() == 1
        && mine.get(0).target().port() == port
        && mine.get(0).state().equals(TargetGroup.HEALTHY);
  }

  /**
   * Why the host is not (yet) settled on {@code digest}: serving it, no {@code -next} left, idle,
   * registered healthy on its container's port. Empty when settled.
   */
  Optional<String> notSettled(Digest digest) {
    Optional<ContainerInfo> c = serving();
    if (c.isEmpty() || !c.get().running()) {
      return Optional.of("no running container " + settings.container());
    }
    if (!c.get().digest().equals(Optional.of(digest))) {
      return Optional.of("runs " + c.get().digest().map(Digest::shortForm).orElse("?"));
    }
    try {
      if (docker.inspect(settings.container() + "-next").isPresent()) {
        return Optional.of(settings.container() + "-next still exists");
      }
    } catch (RuntimeException e) {
      return Optional.of("engine: " + e.getMessage());
    }
    String phase = phase();
    if (!phase.equalsIgnoreCase("IDLE")) {
      return Optional.of("phase " + phase);
    }
    if (!registered()) {
      return Optional.of(
          "targets "
              + targets().stream().map(t -> t.target().port() + "=" + t.state()).toList()
              + ", container on "
              + c.get().hostPort().orElse(-1));
    }
    return Optional.empty();
  }

  /** The first line of the current log containing {@code text}, with its position in the log. */
  boolean logContains(String text) {
    Path log;
    synchronized (this) {
      log = logs.isEmpty() ? null : logs.get(logs.size() - 1);
    }
    try {
      return log != null && Files.exists(log) && Files.readString(log).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  /** The last lines of every log of this host, for failure messages. */
  String tail(int lines) {
    StringBuilder out = new StringBuilder();
    List<Path> all;
    synchronized (this) {
      all = List.copyOf(logs);
    }
    for (Path log : all) {
      try {
        List<String> text = Files.exists(log) ? Files.readAllLines(log) : List.of();
        out.append("--- ").append(log).append(" (last ").append(lines).append(" lines)\n");
        text.subList(Math.max(0, text.size() - lines), text.size())
            .forEach(l -> out.append(l).append('\n'));
      } catch (IOException e) {
        out.append("--- ").append(log).append(": ").append(e.getMessage()).append('\n');
      }
    }
    return out.toString();
  }

  private void writeConfig() throws IOException {
    Settings s = settings;
    String rollout =
        s.strategy().equals("start-first")
            ? "{ strategy: start-first, maxUnavailable: 1, nextPort: " + s.nextPort() + " }"
            : "{ strategy: stop-first, maxUnavailable: 1 }";
    String traffic =
        s.groupArn() == null
            ? ""
            : """
            traffic:
              targetGroupArn: %s
              port: %d
              healthyDeadline: 30s
        """
                .formatted(s.groupArn(), s.port());
    String endpoint = aws.endpoint().toString();
    Files.writeString(
        s.dir().resolve("driftguard.yaml"),
        """
        # fault matrix host %s: written by FaultMatrixIT
        agent:
          pollInterval: 1s
          metrics: { listen: "127.0.0.1:0" }
          status: { listen: "127.0.0.1:0" }
          stateDir: %s
          docker: { host: "%s" }
          aws:
            region: us-east-1
            instanceId: %s
            endpoints: { ssm: "%s", ecr: "%s", ec2: "%s", elbv2: "%s", dynamodb: "%s" }
        services:
          - name: %s
            desired:
              ssmParameter: /driftguard/%s/image
              allowedRegistries: ["%s"]
            container:
              name: %s
              ports: ["127.0.0.1:%d:8080"]
              envFromSsm: { GREETING: "/%s/greeting" }
              # Ignored by the app as PID 1: every stop takes the full timeout, as a real app's
              # graceful shutdown does, which also makes STOP a phase the matrix can catch.
              stopSignal: SIGWINCH
              stopTimeout: 2s
            health: { type: http, port: 8080, path: /healthz, interval: 300ms, timeout: 250ms, healthyThreshold: 2, deadline: 10s }
        %s    rollout: %s
        """
            .formatted(
                s.instanceId(),
                stateDir(),
                s.dockerHost(),
                s.instanceId(),
                endpoint,
                endpoint,
                endpoint,
                endpoint,
                endpoint,
                s.service(),
                s.service(),
                s.registry(),
                s.container(),
                s.port(),
                s.service(),
                traffic,
                rollout));
  }

  /** Stops the agent and removes the host's containers. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (String name :
        List.of(
            settings.container(),
            settings.container() + "-previous",
            settings.container() + "-next")) {
      try {
        docker.remove(name);
      } catch (RuntimeException e) {
        System.err.println("fault matrix clean-up: cannot remove " + name + ": " + e.getMessage());
      }
    }
  }
}
