package dev.driftguard.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.testing.RecordingAwsCalls;
import dev.driftguard.testing.aws.LocalAws;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Through the real SDK client against {@link LocalAws}. */
class SsmSecretSourceTest {
  private static final String SECRET = "postgres://web:hunter2@db.internal/web";

  private LocalAws aws;
  private AwsClients clients;
  private RecordingAwsCalls listener;
  private SsmSecretSource source;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    listener = new RecordingAwsCalls();
    source = new SsmSecretSource(clients.ssm(), listener);
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  @Test
  void resolve_secureString_isDecrypted() {
    aws.ssm().putSecure("/web_staging/database_url", SECRET);
    aws.ssm().put("/web_staging/plain", "not secret");

    Map<String, String> values =
        source.resolve(List.of("/web_staging/database_url", "/web_staging/plain"));

    assertThat(values)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("/web_staging/database_url", SECRET, "/web_staging/plain", "not secret"));
    assertThat(aws.requestBodies("ssm", "GetParameters"))
        .allSatisfy(b -> assertThat(b).contains("\"WithDecryption\":true"));
    assertThat(listener.events()).containsExactly("ok ssm:GetParameters");
  }

  @Test
  void resolve_resultNeverPrintsValues() {
    aws.ssm().putSecure("/web_staging/database_url", SECRET);

    Map<String, String> values = source.resolve(List.of("/web_staging/database_url"));

    assertThat(values.toString())
        .isEqualTo("{/web_staging/database_url=<redacted>}")
        .doesNotContain("hunter2");
    assertThat(values.get("/web_staging/database_url")).isEqualTo(SECRET);
  }

  @Test
  void resolve_12Names_isBatchedBy10() {
    List<String> names = IntStream.range(0, 12).mapToObj(i -> "/web/secret" + i).toList();
    names.forEach(n -> aws.ssm().putSecure(n, SECRET + n));

    assertThat(source.resolve(names)).hasSize(12);
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(2);
  }

  @Test
  void resolve_missingName_failsNamingItButNoValue() {
    aws.ssm().putSecure("/web_staging/database_url", SECRET);

    assertThatThrownBy(
            () -> source.resolve(List.of("/web_staging/database_url", "/web_staging/api_key")))
        .isInstanceOfSatisfying(
            SecretUnavailableException.class,
            e -> {
              assertThat(e.missing()).containsExactly("/web_staging/api_key");
              assertThat(e.throttled()).isFalse();
            })
        .hasMessageContaining("/web_staging/api_key")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void resolve_throttled_failsThrottledWithoutValues() {
    aws.ssm().putSecure("/web_staging/database_url", SECRET);
    aws.throttleNext("ssm", "GetParameters", 3);

    assertThatThrownBy(() -> source.resolve(List.of("/web_staging/database_url")))
        .isInstanceOfSatisfying(
            SecretUnavailableException.class, e -> assertThat(e.throttled()).isTrue())
        .hasMessageContaining("ThrottlingException")
        .hasMessageNotContaining("hunter2");
    assertThat(listener.events()).containsExactly("error ssm:GetParameters:ThrottlingException");
  }
}
