package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.testing.aws.LocalAws;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code driftguard pin} end to end: the command line through {@code cli.Main}, the real SDK
 * clients, and SSM and ECR served by the local AWS endpoint.
 */
class PinLocalAwsTest {
  private static final String V1 = "sha256:" + "1a".repeat(32);
  private static final String V2 = "sha256:" + "2b".repeat(32);
  private static final String PARAMETER = "/driftguard/web_staging/image";

  @TempDir Path dir;
  private LocalAws aws;
  private String registry;
  private Path config;
  private final List<Cli.Run> runs = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    aws = LocalAws.builder().start();
    registry = aws.ecr().registryHost();
    aws.ecr().putImage("web", "v1", V1);
    aws.ecr().putImage("web", "v2", V2);
    // A host configuration as shipped: the service is the instance's Name tag.
    config = LocalAwsConfig.write(dir, aws, "${tag:Name}", registry);
  }

  @AfterEach
  void stop() {
    aws.close();
    // No run, refused or not, ever prints the credentials it was given.
    assertThat(runs).allSatisfy(run -> assertThat(run.all()).doesNotContain("local-aws-secret"));
  }

  private Cli.Run pin(String... args) {
    List<String> words = new ArrayList<>(List.of("--config", config.toString(), "pin"));
    words.addAll(List.of(args));
    Cli.Run run = Cli.run(words.toArray(String[]::new));
    runs.add(run);
    return run;
  }

  @Test
  void tag_isResolvedThroughDescribeImages_andPinnedWithItsDigest() {
    Cli.Run run = pin("web_staging", registry + "/web:v2");

    assertThat(run.code()).as(run.all()).isZero();
    assertThat(aws.ssm().value(PARAMETER)).contains(registry + "/web:v2@" + V2);
    assertThat(aws.calls("ecr", "DescribeImages")).isEqualTo(1);
    assertThat(run.out())
        .contains("parameter: " + PARAMETER)
        .contains("resolved:  " + registry + "/web:v2 -> " + V2)
        .contains("previous:  none")
        .contains("pinned:    " + registry + "/web:v2@" + V2 + " (version 1)");
  }

  @Test
  void digest_isCheckedToExist_andThePreviousValueAndRollbackArePrinted() {
    aws.ssm().put(PARAMETER, registry + "/web:v1@" + V1);

    Cli.Run run = pin("web_staging", registry + "/web@" + V2);

    assertThat(run.code()).as(run.all()).isZero();
    assertThat(aws.ssm().value(PARAMETER)).contains(registry + "/web@" + V2);
    assertThat(aws.ssm().version(PARAMETER)).isEqualTo(2);
    assertThat(run.out())
        .contains("previous:  " + registry + "/web:v1@" + V1 + " (version 1)")
        .contains("roll back: driftguard pin web_staging " + registry + "/web:v1@" + V1);
  }

  @Test
  void rollbackLine_restoresThePreviousValue() {
    aws.ssm().put(PARAMETER, registry + "/web:v1@" + V1);
    Cli.Run forward = pin("web_staging", registry + "/web:v2");
    String rollback =
        forward.out().lines().filter(l -> l.startsWith("roll back: ")).findFirst().orElseThrow();
    String[] words = rollback.substring("roll back: driftguard pin ".length()).split(" ");

    Cli.Run back = pin(words);

    assertThat(back.code()).as(back.all()).isZero();
    assertThat(aws.ssm().value(PARAMETER)).contains(registry + "/web:v1@" + V1);
  }

  @Test
  void unknownTag_isRefused_andSsmIsUntouched() {
    Cli.Run run = pin("web_staging", registry + "/web:v9");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("refused: tag 'v9' does not exist in " + registry + "/web");
    assertThat(aws.calls("ssm", "PutParameter")).isZero();
  }

  @Test
  void missingDigest_isRefused() {
    String missing = "sha256:" + "3c".repeat(32);

    Cli.Run run = pin("web_staging", registry + "/web@" + missing);

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains(missing + " does not exist in " + registry + "/web");
    assertThat(aws.calls("ssm", "PutParameter")).isZero();
  }

  @Test
  void missingRepository_isRefusedWithTheRegistry() {
    Cli.Run run = pin("web_staging", registry + "/api:v1");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .contains("ECR repository 'api' does not exist in registry " + registry)
        .contains("account 123456789012, region us-east-1");
  }

  @Test
  void disallowedRegistry_isRefusedAsTheAgentWould_withoutAskingAws() {
    String other = "999999999999.dkr.ecr.us-east-1.amazonaws.com";

    Cli.Run run = pin("web_staging", other + "/web:v2");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .contains("the agents would reject it")
        .contains("registry " + other + " is not in allowedRegistries [" + registry + "]");
    assertThat(aws.calls()).isEmpty();
  }

  @Test
  void tagOutsideEcr_isRefused_evenWithNoVerify() {
    Cli.Run run =
        pin(
            "web_staging",
            "registry.example.com/web:v1",
            "--no-verify",
            "--allowed-registry",
            "registry.example.com");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .contains(
            "registry.example.com is not an ECR registry, so the tag 'v1' cannot be resolved");
    assertThat(aws.calls("ssm", "PutParameter")).isZero();
  }

  @Test
  void operatorMachineWithoutTheService_usesParameterAndAllowedRegistryOptions() throws Exception {
    config = LocalAwsConfig.write(dir, aws, "some_other_service", "registry.example.com");

    Cli.Run refused = pin("web_staging", registry + "/web:v2");
    Cli.Run run =
        pin(
            "web_staging",
            registry + "/web:v2",
            "--parameter",
            "/custom/web_staging",
            "--allowed-registry",
            registry);

    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err())
        .contains("has no service web_staging (it has: some_other_service)")
        .contains("--parameter NAME")
        .contains("--allowed-registry HOST");
    assertThat(run.code()).as(run.all()).isZero();
    assertThat(aws.ssm().value("/custom/web_staging")).contains(registry + "/web:v2@" + V2);
  }

  @Test
  void wrongCommandLine_isAUsageError() {
    Cli.Run run = pin("web_staging");

    assertThat(run.code()).isEqualTo(64);
    assertThat(run.err()).contains("expected SERVICE and IMAGE").contains("usage: driftguard pin");
  }
}
