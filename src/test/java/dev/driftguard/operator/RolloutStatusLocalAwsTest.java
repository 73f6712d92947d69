package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.fleet.PublishedStateTags;
import dev.driftguard.model.Digest;
import dev.driftguard.testing.aws.Ec2Service;
import dev.driftguard.testing.aws.LocalAws;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code driftguard rollout-status} end to end: desired value in SSM, hosts' state in EC2 tags
 * written as the agent writes them ({@link PublishedStateTags}), the real SDK clients against the
 * local AWS endpoint. {@code --wait} runs in virtual time.
 */
class RolloutStatusLocalAwsTest {
  private static final String SERVICE = "web_staging";
  private static final String PARAMETER = "/driftguard/web_staging/image";
  private static final Digest OLD = Digest.parse("sha256:" + "1a".repeat(32));
  private static final Digest NEW = Digest.parse("sha256:" + "2b".repeat(32));
  private static final Instant START = Instant.parse("2024-05-01T12:00:00Z");

  @TempDir Path dir;
  private LocalAws aws;
  private Path config;
  private final String host1 = Ec2Service.newInstanceId();
  private final String host2 = Ec2Service.newInstanceId();

  @BeforeEach
  void start() throws Exception {
    aws = LocalAws.builder().start();
    String registry = aws.ecr().registryHost();
    config = LocalAwsConfig.write(dir, aws, "${tag:Name}", registry);
    aws.ssm().put(PARAMETER, registry + "/web:v2@" + NEW.value());
    aws.addInstance(host1, Map.of("Name", SERVICE));
    aws.addInstance(host2, Map.of("Name", SERVICE));
    // Another service's host: not part of this rollout.
    aws.addInstance(Ec2Service.newInstanceId(), tags("worker", NEW, "idle", "success", null));
  }

  @AfterEach
  void stop() {
    aws.close();
  }

  /** The tags the agent publishes for {@code service}, through the agent's own writer. */
  private static Map<String, String> tags(
      String service, Digest running, String phase, String outcome, Digest failed) {
    return PublishedStateTags.toTags(
        service, new PublishedState(running, phase, outcome, failed, START.toString()));
  }

  private void publish(String host, Digest running, String phase, String outcome, Digest failed) {
    aws.ec2().putTags(host, tags(SERVICE, running, phase, outcome, failed));
  }

  private Cli.Run rolloutStatus(String... extra) {
    List<String> words =
        new java.util.ArrayList<>(
            List.of("--config", config.toString(), "rollout-status", SERVICE));
    words.addAll(List.of(extra));
    Cli.Run run = Cli.run(words.toArray(String[]::new));
    assertThat(run.all()).doesNotContain("local-aws-secret");
    return run;
  }

  @Test
  void converged_exitsZero() {
    publish(host1, NEW, "idle", "success", null);
    publish(host2, NEW, "idle", "success", null);

    Cli.Run run = rolloutStatus();

    assertThat(run.code()).as(run.all()).isZero();
    assertThat(run.out())
        .contains(host1)
        .contains(host2)
        .contains("2b2b2b2b2b2b  idle   success")
        .contains("web_staging: 2 hosts: 2 on desired, 0 in progress, 0 rolled back, 0 behind")
        .contains("converged");
    assertThat(aws.calls("ec2", "DescribeInstances")).isEqualTo(1);
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(1);
  }

  @Test
  void inProgressAndBehind_exitTwo() {
    publish(host1, OLD, "health", "", null);
    publish(host2, OLD, "idle", "success", null);

    Cli.Run run = rolloutStatus();

    assertThat(run.code()).as(run.all()).isEqualTo(2);
    assertThat(run.out()).contains("0 on desired, 1 in progress, 0 rolled back, 1 behind");
  }

  @Test
  void rolledBack_exitsThree() {
    publish(host1, OLD, "idle", "rolled_back", NEW);
    publish(host2, NEW, "idle", "success", null);

    Cli.Run run = rolloutStatus();

    assertThat(run.code()).as(run.all()).isEqualTo(3);
    assertThat(run.out()).contains("ROLLED BACK: " + host1 + " rolled back " + NEW.value());
  }

  @Test
  void hostsThatPublishNothingYet_areNotCounted() {
    Cli.Run run = rolloutStatus();

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.out()).contains("no running instance publishes state for this service");
  }

  @Test
  void nothingPinned_isAnError() {
    aws.ssm().delete(PARAMETER);

    Cli.Run run = rolloutStatus();

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("SSM parameter " + PARAMETER + " does not exist");
  }

  @Test
  void intervalBelowTheApiBudget_isAUsageError() {
    Cli.Run run = rolloutStatus("--wait", "--interval", "1s");

    assertThat(run.code()).isEqualTo(64);
    assertThat(run.err()).contains("--interval must be at least 5s");
  }

  // ---- --wait, in virtual time, through the same SDK clients --------------------------------

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private Result waitFor(Fakes.Time time, String... options) throws Exception {
    AwsAccess access =
        (region, endpoints, credentials) -> {
          AwsClients clients =
              AwsClients.builder()
                  .region(region)
                  .endpoints(endpoints)
                  .credentialsProvider(LocalAws.credentials())
                  .build();
          return AwsAccess.Clients.of(clients::ssm, clients::ecr, clients::ec2, clients::close);
        };
    OperatorCommands commands =
        new OperatorCommands(
            access,
            Map.of(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            time,
            time);
    List<String> args = new java.util.ArrayList<>(List.of(SERVICE, "--wait"));
    args.addAll(List.of(options));
    return commands.run("rollout-status", args, config);
  }

  @Test
  void wait_followsTheRolloutUntilEveryHostIsOnTheDesiredDigest() throws Exception {
    publish(host1, OLD, "idle", "success", null);
    publish(host2, OLD, "idle", "success", null);
    Map<Integer, Runnable> script = new HashMap<>();
    script.put(1, () -> publish(host1, OLD, "pull", "", null));
    script.put(2, () -> publish(host1, NEW, "register", "", null));
    script.put(3, () -> publish(host1, NEW, "idle", "success", null));
    script.put(4, () -> publish(host2, NEW, "idle", "success", null));
    Fakes.Time time = new Fakes.Time(START).onSleep(n -> script.getOrDefault(n, () -> {}).run());

    Result result = waitFor(time, "--interval", "10s");

    assertThat(result).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(Result.OK);
    assertThat(time.elapsed(START)).isEqualTo(Duration.ofSeconds(40));
    assertThat(aws.calls("ec2", "DescribeInstances")).isEqualTo(5);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(host1 + "  running 1a1a1a1a1a1a  phase pull")
        .contains("converged: every host runs " + NEW.shortForm() + " after 40s");
  }

  @Test
  void wait_endsWithThreeWhenAHostRollsTheDesiredDigestBack() throws Exception {
    publish(host1, OLD, "health", "", null);
    publish(host2, OLD, "idle", "success", null);
    Fakes.Time time =
        new Fakes.Time(START)
            .onSleep(
                n -> {
                  if (n == 2) {
                    publish(host1, OLD, "idle", "rolled_back", NEW);
                  }
                });

    Result result = waitFor(time);

    assertThat(result).isEqualTo(Result.ROLLED_BACK);
    assertThat(time.elapsed(START)).isEqualTo(Duration.ofSeconds(20));
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("ROLLED BACK: " + host1);
  }

  @Test
  void wait_timesOutWithFour() throws Exception {
    publish(host1, NEW, "idle", "success", null);
    publish(host2, OLD, "gate", "", null);
    Fakes.Time time = new Fakes.Time(START);

    Result result = waitFor(time, "--timeout", "2m", "--interval", "30s");

    assertThat(result).isEqualTo(Result.TIMED_OUT);
    assertThat(time.elapsed(START)).isEqualTo(Duration.ofMinutes(2));
    assertThat(aws.calls("ec2", "DescribeInstances")).isEqualTo(5);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("timed out after 2m")
        .contains("1 on desired, 1 in progress");
  }

  @Test
  void wait_retriesThrottling_untilItAnswers() throws Exception {
    publish(host1, NEW, "idle", "success", null);
    publish(host2, NEW, "idle", "success", null);
    // More throttling than the SDK's own three attempts absorb.
    aws.throttleNext("ec2", "DescribeInstances", 3);
    Fakes.Time time = new Fakes.Time(START);

    Result result = waitFor(time);

    assertThat(result).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(Result.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("warning: reading the EC2 tags");
    assertThat(time.sleeps).hasSize(1);
  }
}
