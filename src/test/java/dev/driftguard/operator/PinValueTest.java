package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.Digest;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PinValueTest {
  private static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  private static final Digest DIGEST = Digest.parse("sha256:" + "b".repeat(64));

  @Test
  void build_keepsTheTagBesideTheDigest() {
    assertThat(PinValue.build(ImageArgument.parse(ECR + "/web:v42"), DIGEST))
        .isEqualTo(ECR + "/web:v42@" + DIGEST.value());
    assertThat(PinValue.build(ImageArgument.parse(ECR + "/web@" + DIGEST.value()), DIGEST))
        .isEqualTo(ECR + "/web@" + DIGEST.value());
  }

  @Test
  void rejection_isTheAgentsOwnMessage() {
    assertThat(PinValue.rejection(ECR + "/web@" + DIGEST.value(), Set.of(ECR))).isEmpty();
    assertThat(PinValue.rejection(ECR + "/web@" + DIGEST.value(), Set.of("other.example.com")))
        .get()
        .asString()
        .contains("registry " + ECR + " is not in allowedRegistries [other.example.com]");
  }

  @Test
  void earlyRejection_refusesADisallowedRegistryBeforeTheTagIsResolved() {
    assertThat(PinValue.earlyRejection(ImageArgument.parse(ECR + "/web:v42"), Set.of(ECR)))
        .isEmpty();
    assertThat(
            PinValue.earlyRejection(ImageArgument.parse("evil.example.com/web:v42"), Set.of(ECR)))
        .get()
        .asString()
        .contains("evil.example.com is not in allowedRegistries");
  }

  @Test
  void earlyRejection_refusesMalformedNames() {
    assertThat(PinValue.earlyRejection(ImageArgument.parse(ECR + "/Web:v42"), Set.of(ECR)))
        .get()
        .asString()
        .contains("malformed repository");
  }
}
