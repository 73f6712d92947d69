package dev.driftguard.cli;

import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.testing.Scratch;
import dev.driftguard.testing.TestEnv;
import dev.driftguard.testing.aws.LocalAws;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One host for the ITs that run the agent jar as a process ({@link AgentIT}, {@link MetricsIT}):
 * the test environment's engine and registry, and a local AWS endpoint serving SSM and ECR, per
 * class; per test, a fresh service name, a secret in SSM, a config file, a log file and a state
 * directory in a scratch folder, and the service's containers removed afterwards.
 *
 * <p>Register it as a static {@code @RegisterExtension} field; its fields hold the current test's
 * values.
 */
final class OneHostAgent
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  /** The local endpoint's credentials; no IMDS (the instance id is in the config). */
  static final Map<String, String> AGENT_ENV =
      Map.of(
          "AWS_ACCESS_KEY_ID", "AKIALOCALAWSTEST0000",
          "AWS_SECRET_ACCESS_KEY", "local-aws-secret",
          "AWS_EC2_METADATA_DISABLED", "true");

  private final String prefix;
  private final String instanceId;
  private final Duration healthDeadline;
  private final String containerEnv;

  /** The secret every test puts in SSM as {@code /SERVICE/greeting}; it must never be output. */
  final String secret;

  TestEnv env;
  LocalAws aws;
  DockerContainerRuntime docker;

  Path dir;
  String service;
  int port;
  Path config;
  Path log;

  /**
   * @param prefix the service name's prefix (a random suffix keeps tests apart)
   * @param instanceId the instance id the agent is configured with
   * @param healthDeadline the service's health deadline
   * @param containerEnv a flow mapping for {@code container.env}, or {@code null} for none
   */
  OneHostAgent(String prefix, String instanceId, Duration healthDeadline, String containerEnv) {
    this.prefix = prefix;
    this.instanceId = instanceId;
    this.healthDeadline = healthDeadline;
    this.containerEnv = containerEnv;
    this.secret = "s3cr3t-" + prefix + "-" + UUID.randomUUID();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    env = TestEnv.load();
    aws = LocalAws.builder().registryPasswordFromTestEnv().start();
    docker = DockerContainerRuntime.create(env.dockerHost());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    aws.close();
    docker.close();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("driftguard-" + prefix + "-");
    service = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    port = Scratch.freePort();
    config = dir.resolve("driftguard.yaml");
    log = dir.resolve("agent.log");
    aws.ssm().putSecure("/" + service + "/greeting", secret);
    // Port 0 for both endpoints: one server on a free port, logged at start.
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
            instanceId: %s
            endpoints: { ssm: "%s", ecr: "%s" }
        services:
          - name: %s
            desired:
              allowedRegistries: ["%s"]
            container:
              ports: ["127.0.0.1:%d:8080"]
        %s      envFromSsm: { GREETING: "/{service}/greeting" }
              stopTimeout: 5s
            health: { type: docker, interval: 1s, healthyThreshold: 2, deadline: %ds }
        """
            .formatted(
                dir.resolve("state"),
                env.dockerHost(),
                instanceId,
                aws.endpoint(),
                aws.endpoint(),
                service,
                env.registryHost(),
                port,
                containerEnv == null ? "" : "      env: " + containerEnv + "\n",
                healthDeadline.toSeconds()));
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    for (String name : List.of(service, service + "-previous", service + "-next")) {
      docker.remove(name);
    }
    Scratch.deleteRecursively(dir);
  }

  /** The SSM parameter the service's desired image is pinned in. */
  String parameter() {
    return "/driftguard/" + service + "/image";
  }

  /** The state file of the current test's agent. */
  Path stateFile() {
    return dir.resolve("state/state.json");
  }

  /** What the agent logged so far ("" before it started). */
  String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
