package dev.driftguard.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.desired.DesiredStateSource.RawRecord;
import dev.driftguard.testing.RecordingAwsCalls;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.LocalAws;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Through the real SDK client against {@link LocalAws}. */
class SsmDesiredStateSourceTest {
  private static final String IMAGE =
      "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a".repeat(64);

  private LocalAws aws;
  private AwsClients clients;
  private RecordingAwsCalls listener;
  private SsmDesiredStateSource source;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    listener = new RecordingAwsCalls();
    source = new SsmDesiredStateSource(clients.ssm(), listener);
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  @Test
  void read_returnsValueAndVersion() {
    aws.ssm().put("/driftguard/web/image", "old");
    aws.ssm().put("/driftguard/web/image", IMAGE);

    Map<String, RawRecord> records = source.read(List.of("/driftguard/web/image"));

    assertThat(records)
        .containsExactly(Map.entry("/driftguard/web/image", new RawRecord(IMAGE, 2)));
    assertThat(listener.events()).containsExactly("ok ssm:GetParameters");
  }

  @Test
  void read_25Names_makes3CallsOfAtMost10() {
    List<String> names =
        IntStream.range(0, 25).mapToObj(i -> "/driftguard/svc" + i + "/image").toList();
    names.forEach(n -> aws.ssm().put(n, IMAGE));

    Map<String, RawRecord> records = source.read(names);

    assertThat(records).hasSize(25).containsOnlyKeys(names);
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(3);
    assertThat(aws.requestBodies("ssm", "GetParameters"))
        .allSatisfy(body -> assertThat(body).contains("\"WithDecryption\":false"))
        .extracting(body -> body.split("/image").length - 1)
        .containsExactly(10, 10, 5);
  }

  @Test
  void read_missingNames_areAbsent() {
    aws.ssm().put("/driftguard/web/image", IMAGE);

    Map<String, RawRecord> records =
        source.read(List.of("/driftguard/web/image", "/driftguard/worker/image"));

    assertThat(records).containsOnlyKeys("/driftguard/web/image");
  }

  @Test
  void read_duplicatesAndNothing_costNoExtraCalls() {
    aws.ssm().put("/a", IMAGE);

    assertThat(source.read(List.of())).isEmpty();
    assertThat(source.read(List.of("/a", "/a"))).containsOnlyKeys("/a");
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(1);
  }

  @Test
  void read_throttledBeyondSdkRetries_isUnavailableAndThrottled() {
    aws.ssm().put("/a", IMAGE);
    aws.throttleNext("ssm", "GetParameters", 3);

    assertThatThrownBy(() -> source.read(List.of("/a")))
        .isInstanceOfSatisfying(
            DesiredStateUnavailableException.class, e -> assertThat(e.throttled()).isTrue())
        .hasMessageContaining("GetParameters")
        .hasMessageContaining("ThrottlingException");
    // The SDK's standard retry mode made 3 attempts before giving up.
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(3);
    assertThat(listener.events()).containsExactly("error ssm:GetParameters:ThrottlingException");
  }

  @Test
  void read_throttledWithinSdkRetries_succeeds() {
    aws.ssm().put("/a", IMAGE);
    aws.throttleNext("ssm", "GetParameters", 2);

    assertThat(source.read(List.of("/a"))).containsOnlyKeys("/a");
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(3);
  }

  @Test
  void read_accessDenied_isUnavailableNotThrottled_andNamesTheCode() {
    aws.failNext(
        "ssm",
        "GetParameters",
        1,
        AwsFault.badRequest(
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/host is not authorized to perform:"
                + " ssm:GetParameters"));

    assertThatThrownBy(() -> source.read(List.of("/a")))
        .isInstanceOfSatisfying(
            DesiredStateUnavailableException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageStartingWith("SSM GetParameters failed: AccessDeniedException (HTTP 400)")
        .hasMessageContaining("not authorized to perform: ssm:GetParameters");
    assertThat(listener.events()).containsExactly("error ssm:GetParameters:AccessDeniedException");
  }

  @Test
  void read_aFailedSecondBatch_failsTheWholeRead() {
    List<String> names = IntStream.range(0, 12).mapToObj(i -> "/p" + i).toList();
    names.forEach(n -> aws.ssm().put(n, IMAGE));
    // First batch served, then a non-retryable error on the second: a partial answer would make
    // the second batch's services look unpinned.
    aws.failAfter(
        "ssm", "GetParameters", 1, 1, AwsFault.badRequest("AccessDeniedException", "denied"));

    assertThatThrownBy(() -> source.read(names))
        .isInstanceOf(DesiredStateUnavailableException.class);
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(2);
    assertThat(listener.events())
        .containsExactly("ok ssm:GetParameters", "error ssm:GetParameters:AccessDeniedException");
  }

  @Test
  void read_endpointDown_isUnavailableNotThrottled() {
    aws.close();

    assertThatThrownBy(() -> source.read(List.of("/a")))
        .isInstanceOfSatisfying(
            DesiredStateUnavailableException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageStartingWith("SSM GetParameters failed: SdkClientException");
    assertThat(listener.events()).containsExactly("error ssm:GetParameters:SdkClientException");
  }
}
