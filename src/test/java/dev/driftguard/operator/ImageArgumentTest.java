package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.Digest;
import dev.driftguard.model.InvalidValueException;
import org.junit.jupiter.api.Test;

class ImageArgumentTest {
  private static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  private static final String DIGEST = "sha256:" + "a".repeat(64);

  @Test
  void parse_tag() {
    ImageArgument image = ImageArgument.parse(ECR + "/team/web:v42");
    assertThat(image.registry()).isEqualTo(ECR);
    assertThat(image.repository()).isEqualTo("team/web");
    assertThat(image.tag()).isEqualTo("v42");
    assertThat(image.digest()).isNull();
  }

  @Test
  void parse_digest_andTagWithDigest() {
    assertThat(ImageArgument.parse(ECR + "/web@" + DIGEST).digest())
        .isEqualTo(Digest.parse(DIGEST));
    ImageArgument both = ImageArgument.parse(ECR + "/web:v42@" + DIGEST);
    assertThat(both.tag()).isEqualTo("v42");
    assertThat(both.digest()).isEqualTo(Digest.parse(DIGEST));
    assertThat(both).hasToString(ECR + "/web:v42@" + DIGEST);
  }

  @Test
  void parse_registryWithPort_isNotATag() {
    ImageArgument image = ImageArgument.parse("localhost:5000/web@" + DIGEST);
    assertThat(image.registry()).isEqualTo("localhost:5000");
    assertThat(image.repository()).isEqualTo("web");
    assertThat(image.tag()).isNull();
  }

  @Test
  void parse_neitherTagNorDigest_isRefusedRatherThanLatest() {
    assertThatThrownBy(() -> ImageArgument.parse(ECR + "/web"))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("neither a tag nor a digest")
        .hasMessageContaining(":latest");
  }

  @Test
  void parse_withoutRegistry_isRefused() {
    assertThatThrownBy(() -> ImageArgument.parse("web:v1"))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("names no registry");
  }

  @Test
  void parse_malformedDigest_isRefused() {
    assertThatThrownBy(() -> ImageArgument.parse(ECR + "/web@sha256:abc"))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("malformed digest");
  }

  @Test
  void ecrRegistry_readsAccountAndRegionFromTheHost() {
    assertThat(EcrRegistry.fromHost(ECR))
        .contains(new EcrRegistry(ECR, "123456789012", "us-east-1"));
    assertThat(EcrRegistry.fromHost("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"))
        .get()
        .extracting(EcrRegistry::region)
        .isEqualTo("us-gov-west-1");
    assertThat(EcrRegistry.fromHost("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"))
        .isPresent();
    assertThat(EcrRegistry.fromHost("registry.example.com")).isEmpty();
    assertThat(EcrRegistry.fromHost("12345.dkr.ecr.us-east-1.amazonaws.com")).isEmpty();
  }
}
