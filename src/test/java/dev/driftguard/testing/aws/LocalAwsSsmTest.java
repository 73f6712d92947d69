package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParameterHistoryResponse;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterHistory;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.ParameterVersionNotFoundException;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** Pins the SSM behaviours of {@link LocalAws} that the agent relies on, through the real SDK. */
class LocalAwsSsmTest {
  private static final String NAME = "/driftguard/web_staging/image";

  private LocalAws aws;
  private AwsClients clients;
  private SsmClient ssm;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    ssm = clients.ssm();
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  @Test
  void putParameter_newName_createsVersion1() {
    long version =
        ssm.putParameter(b -> b.name(NAME).value("v1").type(ParameterType.STRING)).version();

    assertThat(version).isEqualTo(1);
    Parameter p = ssm.getParameter(b -> b.name(NAME)).parameter();
    assertThat(p.value()).isEqualTo("v1");
    assertThat(p.version()).isEqualTo(1);
    assertThat(p.type()).isEqualTo(ParameterType.STRING);
    assertThat(p.arn())
        .isEqualTo("arn:aws:ssm:us-east-1:123456789012:parameter/driftguard/web_staging/image");
    assertThat(p.lastModifiedDate()).isNotNull();
  }

  @Test
  void putParameter_existingWithoutOverwrite_isParameterAlreadyExists() {
    ssm.putParameter(b -> b.name(NAME).value("v1").type(ParameterType.STRING));

    assertThatThrownBy(
            () -> ssm.putParameter(b -> b.name(NAME).value("v2").type(ParameterType.STRING)))
        .isInstanceOf(ParameterAlreadyExistsException.class)
        .hasMessageContaining("set the overwrite option");
    assertThat(aws.ssm().value(NAME)).contains("v1");
  }

  @Test
  void putParameter_overwrite_incrementsVersionAndKeepsType() {
    ssm.putParameter(b -> b.name(NAME).value("v1").type(ParameterType.STRING));

    long version = ssm.putParameter(b -> b.name(NAME).value("v2").overwrite(true)).version();

    assertThat(version).isEqualTo(2);
    Parameter p = ssm.getParameter(b -> b.name(NAME)).parameter();
    assertThat(p.value()).isEqualTo("v2");
    assertThat(p.type()).isEqualTo(ParameterType.STRING);
  }

  @Test
  void putParameter_newNameWithoutType_isValidationError() {
    assertThatThrownBy(() -> ssm.putParameter(b -> b.name(NAME).value("v1")))
        .isInstanceOfSatisfying(
            SsmException.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"))
        .hasMessageContaining("type is required");
  }

  @Test
  void putParameter_invalidNames_areValidationErrors() {
    for (String bad :
        List.of("driftguard/web/image", "/aws/reserved", "ssm-thing", "/with space/x")) {
      assertThatThrownBy(
              () -> ssm.putParameter(b -> b.name(bad).value("v").type(ParameterType.STRING)))
          .as(bad)
          .isInstanceOfSatisfying(
              SsmException.class,
              e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
    }
  }

  @Test
  void putParameter_valueOver4096Characters_isRejectedForStandardTier() {
    String big = "x".repeat(4097);

    assertThatThrownBy(
            () -> ssm.putParameter(b -> b.name(NAME).value(big).type(ParameterType.STRING)))
        .isInstanceOfSatisfying(
            SsmException.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"))
        .hasMessageContaining("4096");
  }

  @Test
  void getParameter_unknown_isParameterNotFound() {
    assertThatThrownBy(() -> ssm.getParameter(b -> b.name("/nope")))
        .isInstanceOf(ParameterNotFoundException.class);
  }

  @Test
  void getParameter_versionSelector_readsThatVersion() {
    aws.ssm().put(NAME, "v1");
    aws.ssm().put(NAME, "v2");

    Parameter p = ssm.getParameter(b -> b.name(NAME + ":1")).parameter();

    assertThat(p.value()).isEqualTo("v1");
    assertThat(p.version()).isEqualTo(1);
    assertThat(p.selector()).isEqualTo(":1");
    assertThatThrownBy(() -> ssm.getParameter(b -> b.name(NAME + ":7")))
        .isInstanceOf(ParameterVersionNotFoundException.class);
  }

  @Test
  void getParameters_unknownNames_areInInvalidParameters() {
    aws.ssm().put("/a", "1");
    aws.ssm().put("/b", "2");

    GetParametersResponse response = ssm.getParameters(b -> b.names("/a", "/missing", "/b"));

    assertThat(response.parameters())
        .extracting(Parameter::name)
        .containsExactlyInAnyOrder("/a", "/b");
    assertThat(response.invalidParameters()).containsExactly("/missing");
  }

  @Test
  void getParameters_moreThan10Names_isValidationError() {
    List<String> names = IntStream.range(0, 11).mapToObj(i -> "/p" + i).toList();

    assertThatThrownBy(() -> ssm.getParameters(b -> b.names(names)))
        .isInstanceOfSatisfying(
            SsmException.class,
            e -> {
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
              assertThat(e.statusCode()).isEqualTo(400);
            })
        .hasMessageContaining("less than or equal to 10");
  }

  @Test
  void secureString_isDecryptedOnlyWithDecryption() {
    aws.ssm().putSecure("/web/database_url", "postgres://u:p@db/web");

    Parameter encrypted = ssm.getParameters(b -> b.names("/web/database_url")).parameters().get(0);
    Parameter decrypted =
        ssm.getParameters(b -> b.names("/web/database_url").withDecryption(true))
            .parameters()
            .get(0);

    assertThat(encrypted.type()).isEqualTo(ParameterType.SECURE_STRING);
    assertThat(encrypted.value()).isNotEqualTo("postgres://u:p@db/web").doesNotContain("postgres");
    assertThat(decrypted.value()).isEqualTo("postgres://u:p@db/web");
    assertThat(ssm.getParameter(b -> b.name("/web/database_url")).parameter().value())
        .doesNotContain("postgres");
  }

  @Test
  void getParameterHistory_listsEveryVersionOldestFirst_withPagination() {
    aws.ssm().put(NAME, "v1");
    aws.ssm().put(NAME, "v2");
    aws.ssm().put(NAME, "v3");

    GetParameterHistoryResponse first = ssm.getParameterHistory(b -> b.name(NAME).maxResults(2));
    GetParameterHistoryResponse second =
        ssm.getParameterHistory(b -> b.name(NAME).maxResults(2).nextToken(first.nextToken()));

    assertThat(first.parameters()).extracting(ParameterHistory::version).containsExactly(1L, 2L);
    assertThat(first.parameters()).extracting(ParameterHistory::value).containsExactly("v1", "v2");
    assertThat(first.nextToken()).isNotNull();
    assertThat(second.parameters()).extracting(ParameterHistory::value).containsExactly("v3");
    assertThat(second.nextToken()).isNull();
    assertThatThrownBy(() -> ssm.getParameterHistory(b -> b.name("/nope")))
        .isInstanceOf(ParameterNotFoundException.class);
  }

  @Test
  void versions_keepOnlyTheLast100() {
    for (int i = 1; i <= 101; i++) {
      aws.ssm().put(NAME, "v" + i);
    }

    assertThat(aws.ssm().version(NAME)).isEqualTo(101);
    GetParameterHistoryResponse oldest = ssm.getParameterHistory(b -> b.name(NAME).maxResults(1));
    assertThat(oldest.parameters().get(0).version()).isEqualTo(2);
  }

  @Test
  void deleteParameter_removesIt_andUnknownIsParameterNotFound() {
    aws.ssm().put(NAME, "v1");

    ssm.deleteParameter(b -> b.name(NAME));

    assertThat(aws.ssm().value(NAME)).isEmpty();
    assertThatThrownBy(() -> ssm.deleteParameter(b -> b.name(NAME)))
        .isInstanceOf(ParameterNotFoundException.class);
  }

  @Test
  void calls_countEveryHttpAttempt() {
    aws.ssm().put(NAME, "v1");
    ssm.getParameters(b -> b.names(NAME));
    ssm.getParameters(b -> b.names(NAME));

    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(2);
    assertThat(aws.calls()).containsEntry("ssm:GetParameters", 2);
    assertThat(aws.requestBodies("ssm", "GetParameters"))
        .hasSize(2)
        .allSatisfy(body -> assertThat(body).contains(NAME));
  }
}
