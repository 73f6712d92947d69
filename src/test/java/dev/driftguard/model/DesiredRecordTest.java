package dev.driftguard.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.DesiredState.RejectReason;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DesiredRecordTest {
  private static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  private static final String HEX = "0123456789abcdef".repeat(4);

  @Test
  void parse_whenPinned_returnsImage() {
    DesiredState state = DesiredRecord.parse(ECR + "/web:v7@sha256:" + HEX, 3, Set.of(ECR));
    assertThat(state)
        .isEqualTo(
            new DesiredState.Pinned(
                new ImageRef(ECR, "web", "v7", Digest.parse("sha256:" + HEX)), 3));
  }

  @Test
  void parse_acceptsSurroundingWhitespace() {
    assertThat(DesiredRecord.parse("  " + ECR + "/team/web@sha256:" + HEX + "\n", 0, Set.of(ECR)))
        .isInstanceOf(DesiredState.Pinned.class);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''|EMPTY",
        "'   '|EMPTY",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest|TAG_WITHOUT_DIGEST",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:abc|MALFORMED",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef|MALFORMED",
        "web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef|MALFORMED",
        "evil.example.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef|REGISTRY_NOT_ALLOWED",
        "'{\"image\": \"x\"}'|UNSUPPORTED_RECORD_VERSION",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/WEB@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef|MALFORMED",
      })
  void parse_rejects(String value, RejectReason reason) {
    DesiredState state = DesiredRecord.parse(value, 1, Set.of(ECR));
    assertThat(state)
        .isInstanceOfSatisfying(
            DesiredState.Rejected.class,
            r -> {
              assertThat(r.reason()).isEqualTo(reason);
              assertThat(r.message()).isNotBlank();
            });
  }

  @Test
  void parse_withNoAllowedRegistries_acceptsAnyRegistry() {
    // Only a local file source may leave allowedRegistries out; SSM sources must list them.
    assertThat(DesiredRecord.parse("localhost:5000/web@sha256:" + HEX, 1, Set.of()))
        .isInstanceOf(DesiredState.Pinned.class);
  }

  @Test
  void parse_whenMissing_rejectsMissing() {
    assertThat(DesiredRecord.parse(null, 0, Set.of(ECR)))
        .isInstanceOfSatisfying(
            DesiredState.Rejected.class,
            r -> assertThat(r.reason()).isEqualTo(RejectReason.MISSING));
  }

  @Test
  void parse_whenOversized_rejectsWithoutEchoingIt() {
    String huge = ECR + "/web@sha256:" + HEX + "x".repeat(5000);
    DesiredState state = DesiredRecord.parse(huge, 0, Set.of(ECR));
    assertThat(state)
        .isInstanceOfSatisfying(
            DesiredState.Rejected.class,
            r -> {
              assertThat(r.reason()).isEqualTo(RejectReason.OVERSIZED);
              assertThat(r.message().length()).isLessThan(200);
            });
  }

  @Test
  void parse_sameValueSameFingerprint_otherValueOther() {
    DesiredState.Rejected a =
        (DesiredState.Rejected) DesiredRecord.parse(ECR + "/web:1", 1, Set.of(ECR));
    DesiredState.Rejected b =
        (DesiredState.Rejected) DesiredRecord.parse(ECR + "/web:1", 2, Set.of(ECR));
    DesiredState.Rejected c =
        (DesiredState.Rejected) DesiredRecord.parse(ECR + "/web:2", 3, Set.of(ECR));
    assertThat(a.fingerprint()).isEqualTo(b.fingerprint()).isNotEqualTo(c.fingerprint());
  }
}
