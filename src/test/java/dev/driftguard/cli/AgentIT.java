package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Labels;
import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.testing.TestEnv;
import dev.driftguard.testing.aws.LocalAws;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent end to end on one host (issue 2): the shaded jar as a process, the real Docker engine,
 * the ECR-like registry of test/env, and SSM and ECR served by the local AWS endpoint through the
 * agent's real SDK clients.
 */
class AgentIT {
  private static final Duration ONCE_TIMEOUT = Duration.ofMinutes(2);
  private static final String SECRET = "s3cr3t-" + UUID.randomUUID();

  private static TestEnv env;
  private static LocalAws aws;
  private static DockerContainerRuntime docker;
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;
  private String service;
  private int port;
  private Path config;
  private Path log;

  @BeforeAll
  static void startEnvironment() {
    env = TestEnv.load();
    aws = LocalAws.builder().registryPasswordFromTestEnv().start();
    docker = DockerContainerRuntime.create(env.dockerHost());
  }

  @AfterAll
  static void stopEnvironment() {
    aws.close();
    docker.close();
  }

  @BeforeEach
  void writeConfig() throws IOException {
    service = "dgit-" + UUID.randomUUID().toString().substring(0, 8);
    port = freePort();
    config = dir.resolve("driftguard.yaml");
    log = dir.resolve("agent.log");
    aws.ssm().putSecure("/" + service + "/greeting", SECRET);
    Files.writeString(
        config,
        """
        agent:
          pollInterval: 1s
          metrics: { listen: "127.0.0.1:0" }
          status: { listen: "127.0.0.1:0" }
          stateDir: %s
          docker: { host: "%s" }
          aws:
            region: us-east-1
            instanceId: i-0000000000000001
            endpoints: { ssm: "%s", ecr: "%s" }
        services:
          - name: %s
            desired:
              allowedRegistries: ["%s"]
            container:
              ports: ["127.0.0.1:%d:8080"]
              env: { PLAIN: visible }
              envFromSsm: { GREETING: "/{service}/greeting" }
              stopTimeout: 5s
            health: { type: docker, interval: 1s, healthyThreshold: 2, deadline: 20s }
        """
            .formatted(
                dir.resolve("state"),
                env.dockerHost(),
                aws.endpoint(),
                aws.endpoint(),
                service,
                env.registryHost(),
                port));
  }

  @AfterEach
  void removeContainers() {
    for (String name : List.of(service, service + "-previous", service + "-next")) {
      docker.remove(name);
    }
  }

  @Test
  void pinV1_runsV1_thenPinV2_replacesIt_keepingV1Image() throws Exception {
    pin("v1");
    assertThat(once()).as(log()).isZero();
    assertThat(body()).contains("version=v1");
    ContainerInfo v1 = container();
    assertThat(v1.labels())
        .containsEntry(Labels.SERVICE, service)
        .containsEntry(Labels.DIGEST, env.image("v1").digest().value())
        .containsKey(Labels.SPEC_HASH);

    pin("v2");
    assertThat(once()).as(log()).isZero();
    assertThat(body()).contains("version=v2");
    assertThat(docker.inspect(service + "-previous"))
        .map(ContainerInfo::digest)
        .contains(Optional.of(env.image("v1").digest()));
    assertThat(docker.images(env.image("v1").repositoryName()))
        .anyMatch(i -> i.repoDigests().contains(env.image("v1").pinned()));
    assertThat(once()).as("in sync on v2 without doing anything").isZero();
  }

  @Test
  void secretsReachTheContainerButNeverTheOutput() throws Exception {
    pin("v1");
    assertThat(once()).as(log()).isZero();
    assertThat(get("/env")).contains("GREETING=" + SECRET).contains("PLAIN=visible");
    assertThat(log()).doesNotContain(SECRET).doesNotContain(env.get("registry.password"));
    assertThat(Files.readString(dir.resolve("state/state.json"))).doesNotContain(SECRET);
  }

  @Test
  void credentialsComeFromEcrGetAuthorizationToken() throws Exception {
    int before = aws.calls("ecr", "GetAuthorizationToken");
    pin("v1");
    assertThat(once()).as(log()).isZero();
    assertThat(aws.calls("ecr", "GetAuthorizationToken")).isGreaterThan(before);
  }

  @Test
  void unhealthyImage_rollsBackToV2_andIsNotRetried() throws Exception {
    pin("v2");
    assertThat(once()).as(log()).isZero();
    pin("unhealthy");
    assertThat(once()).as(log()).isEqualTo(ExitCode.NOT_IN_SYNC);
    assertThat(body()).contains("version=v2");
    assertThat(log()).contains("rolling back");
    String restored = container().id();
    assertThat(once()).isEqualTo(ExitCode.NOT_IN_SYNC);
    assertThat(container().id()).as("no second attempt at the failed digest").isEqualTo(restored);
    assertThat(log()).contains("rolled back here");
  }

  @Test
  void tagOnlyOrMalformedValue_isRejected_andV2Untouched() throws Exception {
    pin("v2");
    assertThat(once()).as(log()).isZero();
    String id = container().id();
    aws.ssm().put(parameter(), env.repository() + ":v2");
    assertThat(once()).isEqualTo(ExitCode.NOT_IN_SYNC);
    aws.ssm().put(parameter(), env.repository() + "@sha256:12345");
    assertThat(once()).isEqualTo(ExitCode.NOT_IN_SYNC);
    assertThat(container().id()).isEqualTo(id);
    assertThat(container().running()).isTrue();
    assertThat(body()).contains("version=v2");
    assertThat(log()).contains("reason=tag_without_digest").contains("reason=malformed");
  }

  @Test
  void killedContainer_isRestored() throws Exception {
    pin("v2");
    assertThat(once()).as(log()).isZero();
    docker("kill", service);
    assertThat(container().running()).isFalse();
    once();
    assertThat(container().running()).isTrue();
    assertThat(body()).contains("version=v2");
  }

  @Test
  void handMadeContainerWithTheServiceName_isReplaced() throws Exception {
    docker(
        "run",
        "-d",
        "--name",
        service,
        "-p",
        "127.0.0.1:" + port + ":8080",
        env.image("v1").pinned());
    assertThat(container().managed()).isFalse();
    pin("v2");
    assertThat(once()).as(log()).isZero();
    assertThat(container().managed()).isTrue();
    assertThat(body()).contains("version=v2");
  }

  @Test
  void sigtermStopsTheAgent_neverTheContainer() throws Exception {
    pin("v1");
    try (AgentProcess agent = AgentProcess.start(config, agentEnv(), log, "run")) {
      awaitBody("version=v1", Duration.ofSeconds(60));
      agent.terminate();
      assertThat(agent.waitFor(Duration.ofSeconds(20))).as(log()).isIn(0, 143);
    }
    assertThat(container().running()).isTrue();
    assertThat(body()).contains("version=v1");
    assertThat(log()).contains("containers keep running");
  }

  @Test
  void sigkillInTheMiddleOfADeploy_restartedAgentConverges() throws Exception {
    pin("v1");
    assertThat(once()).as(log()).isZero();
    pin("v2");
    try (AgentProcess agent = AgentProcess.start(config, agentEnv(), log, "run")) {
      awaitState("\"phase\" : \"HEALTH\"", Duration.ofSeconds(60));
      agent.kill();
    }
    assertThat(Files.readString(dir.resolve("state/state.json")))
        .contains("\"phase\" : \"HEALTH\"");
    int code = once();
    if (code != 0) {
      code = once();
    }
    assertThat(code).as(log()).isZero();
    assertThat(body()).contains("version=v2");
    assertThat(Files.readString(dir.resolve("state/state.json")))
        .contains("\"phase\" : \"IDLE\"")
        .contains(env.image("v2").digest().value());
  }

  // --- helpers

  private String parameter() {
    return "/driftguard/" + service + "/image";
  }

  private void pin(String variant) {
    ImageRef image = env.image(variant);
    aws.ssm().put(parameter(), image.toString());
  }

  private int once() throws Exception {
    return AgentProcess.run(config, agentEnv(), log, ONCE_TIMEOUT, "once");
  }

  private static Map<String, String> agentEnv() {
    return Map.of(
        "AWS_ACCESS_KEY_ID",
        "AKIALOCALAWSTEST0000",
        "AWS_SECRET_ACCESS_KEY",
        "local-aws-secret",
        "AWS_EC2_METADATA_DISABLED",
        "true");
  }

  private ContainerInfo container() {
    return docker
        .inspect(service)
        .orElseThrow(
            () -> new AssertionError("no container " + service + "; agent log:\n" + log()));
  }

  private String body() throws Exception {
    return get("/");
  }

  private String get(String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(3))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  private void awaitBody(String expected, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      try {
        if (body().contains(expected)) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no '" + expected + "' within " + timeout + "; agent log:\n" + log());
  }

  private void awaitState(String expected, Duration timeout) throws Exception {
    Path state = dir.resolve("state/state.json");
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (Files.exists(state) && Files.readString(state).contains(expected)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("state never showed " + expected + "; agent log:\n" + log());
  }

  private String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private void docker(String... args) throws Exception {
    List<String> argv =
        new java.util.ArrayList<>(
            List.of("docker", "--config", env.get("state.dir") + "/docker-client"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new AssertionError("docker " + String.join(" ", args) + " failed: " + out);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
