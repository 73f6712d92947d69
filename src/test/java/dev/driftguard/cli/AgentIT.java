package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Labels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The agent end to end on one host (issue 2): the shaded jar as a process, the real Docker engine,
 * the ECR-like registry of test/env, and SSM and ECR served by the local AWS endpoint through the
 * agent's real SDK clients.
 */
class AgentIT {
  @RegisterExtension
  static final OneHostAgent host =
      new OneHostAgent("dgit", "i-0000000000000001", Duration.ofSeconds(20), "{ PLAIN: visible }");

  private static final Duration ONCE_TIMEOUT = Duration.ofMinutes(2);

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void pinV1_runsV1_thenPinV2_replacesIt_keepingV1Image() throws Exception {
    pin("v1");
    assertThat(once()).as(host.log()).isZero();
    assertThat(body()).contains("version=v1");
    ContainerInfo v1 = container();
    assertThat(v1.labels())
        .containsEntry(Labels.SERVICE, host.service)
        .containsEntry(Labels.DIGEST, host.env.image("v1").digest().value())
        .containsKey(Labels.SPEC_HASH);

    pin("v2");
    assertThat(once()).as(host.log()).isZero();
    assertThat(body()).contains("version=v2");
    assertThat(host.docker.inspect(host.service + "-previous"))
        .map(ContainerInfo::digest)
        .contains(Optional.of(host.env.image("v1").digest()));
    assertThat(host.docker.images(host.env.image("v1").repositoryName()))
        .anyMatch(i -> i.repoDigests().contains(host.env.image("v1").pinned()));
    assertThat(once()).as("in sync on v2 without doing anything").isZero();
  }

  @Test
  void secretsReachTheContainerButNeverTheOutput() throws Exception {
    pin("v1");
    assertThat(once()).as(host.log()).isZero();
    assertThat(get("/env")).contains("GREETING=" + host.secret).contains("PLAIN=visible");
    assertThat(host.log())
        .doesNotContain(host.secret)
        .doesNotContain(host.env.get("registry.password"));
    assertThat(Files.readString(host.stateFile())).doesNotContain(host.secret);
  }

  @Test
  void credentialsComeFromEcrGetAuthorizationToken() throws Exception {
    int before = host.aws.calls("ecr", "GetAuthorizationToken");
    pin("v1");
    assertThat(once()).as(host.log()).isZero();
    assertThat(host.aws.calls("ecr", "GetAuthorizationToken")).isGreaterThan(before);
  }

  @Test
  void unhealthyImage_rollsBackToV2_andIsNotRetried() throws Exception {
    pin("v2");
    assertThat(once()).as(host.log()).isZero();
    pin("unhealthy");
    assertThat(once()).as(host.log()).isEqualTo(ExitCode.NOT_IN_SYNC);
    assertThat(body()).contains("version=v2");
    assertThat(host.log()).contains("rolling back");
    String restored = container().id();
    assertThat(once()).isEqualTo(ExitCode.NOT_IN_SYNC);
    assertThat(container().id()).as("no second attempt at the failed digest").isEqualTo(restored);
    assertThat(host.log()).contains("rolled back here");
  }

  @Test
  void tagOnlyOrMalformedValue_isRejected_andV2Untouched() throws Exception {
    pin("v2");
    assertThat(once()).as(host.log()).isZero();
    String id = container().id();
    host.aws.ssm().put(host.parameter(), host.env.repository() + ":v2");
    assertThat(once()).isEqualTo(ExitCode.NOT_IN_SYNC);
    host.aws.ssm().put(host.parameter(), host.env.repository() + "@sha256:12345");
    assertThat(once()).isEqualTo(ExitCode.NOT_IN_SYNC);
    assertThat(container().id()).isEqualTo(id);
    assertThat(container().running()).isTrue();
    assertThat(body()).contains("version=v2");
    assertThat(host.log()).contains("reason=tag_without_digest").contains("reason=malformed");
  }

  @Test
  void killedContainer_isRestored() throws Exception {
    pin("v2");
    assertThat(once()).as(host.log()).isZero();
    docker("kill", host.service);
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
        host.service,
        "-p",
        "127.0.0.1:" + host.port + ":8080",
        host.env.image("v1").pinned());
    assertThat(container().managed()).isFalse();
    pin("v2");
    assertThat(once()).as(host.log()).isZero();
    assertThat(container().managed()).isTrue();
    assertThat(body()).contains("version=v2");
  }

  @Test
  void sigtermStopsTheAgent_neverTheContainer() throws Exception {
    pin("v1");
    try (AgentProcess agent =
        AgentProcess.start(host.config, OneHostAgent.AGENT_ENV, host.log, "run")) {
      awaitBody("version=v1", Duration.ofSeconds(60));
      agent.terminate();
      assertThat(agent.waitFor(Duration.ofSeconds(20))).as(host.log()).isIn(0, 143);
    }
    assertThat(container().running()).isTrue();
    assertThat(body()).contains("version=v1");
    assertThat(host.log()).contains("containers keep running");
  }

  @Test
  void sigkillInTheMiddleOfADeploy_restartedAgentConverges() throws Exception {
    pin("v1");
    assertThat(once()).as(host.log()).isZero();
    pin("v2");
    try (AgentProcess agent =
        AgentProcess.start(host.config, OneHostAgent.AGENT_ENV, host.log, "run")) {
      awaitState("\"phase\" : \"HEALTH\"", Duration.ofSeconds(60));
      agent.kill();
    }
    assertThat(Files.readString(host.stateFile())).contains("\"phase\" : \"HEALTH\"");
    int code = once();
    if (code != 0) {
      code = once();
    }
    assertThat(code).as(host.log()).isZero();
    assertThat(body()).contains("version=v2");
    assertThat(Files.readString(host.stateFile()))
        .contains("\"phase\" : \"IDLE\"")
        .contains(host.env.image("v2").digest().value());
  }

  // --- helpers
  private void pin(String variant) {
    ImageRef image = host.env.image(variant);
    host.aws.ssm().put(host.parameter(), image.toString());
  }

  private int once() throws Exception {
    return AgentProcess.run(host.config, OneHostAgent.AGENT_ENV, host.log, ONCE_TIMEOUT, "once");
  }

  private ContainerInfo container() {
    return host.docker
        .inspect(host.service)
        .orElseThrow(
            () ->
                new AssertionError("no container " + host.service + "; agent log:\n" + host.log()));
  }

  private String body() throws Exception {
    return get("/");
  }

  private String get(String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + host.port + path))
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
    throw new AssertionError(
        "no '" + expected + "' within " + timeout + "; agent log:\n" + host.log());
  }

  private void awaitState(String expected, Duration timeout) throws Exception {
    Path state = host.stateFile();
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (Files.exists(state) && Files.readString(state).contains(expected)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("state never showed " + expected + "; agent log:\n" + host.log());
  }

  private void docker(String... args) throws Exception {
    List<String> argv =
        new java.util.ArrayList<>(
            List.of("docker", "--config", host.env.get("state.dir") + "/docker-client"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new AssertionError("docker " + String.join(" ", args) + " failed: " + out);
    }
  }
}
