package dev.driftguard.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageRefTest {
  private static final String HEX = "ab".repeat(32);

  @Test
  void parse_withPortAndTag() {
    ImageRef ref = ImageRef.parse("localhost:5000/team/web:v2@sha256:" + HEX);
    assertThat(ref.registry()).isEqualTo("localhost:5000");
    assertThat(ref.repository()).isEqualTo("team/web");
    assertThat(ref.tagName()).contains("v2");
    assertThat(ref.pinned()).isEqualTo("localhost:5000/team/web@sha256:" + HEX);
    assertThat(ref.toString()).isEqualTo("localhost:5000/team/web:v2@sha256:" + HEX);
  }

  @Test
  void parse_roundTripsToString() {
    String value = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + HEX;
    assertThat(ImageRef.parse(value).toString()).isEqualTo(value);
  }

  @Test
  void parse_withoutDigest_explainsPinning() {
    assertThatThrownBy(() -> ImageRef.parse("registry.example.com/web:v1"))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("not pinned by digest");
  }

  @Test
  void split_findsTheTagOnlyAfterTheLastSlash_andLeavesTheChecksToTheCaller() {
    assertThat(ImageRef.split(" localhost:5000/team/web:v2 "))
        .isEqualTo(new ImageRef.Parts("localhost:5000", "team/web", "v2", null));
    assertThat(ImageRef.split("reg.io/a:b/c@sha256:" + HEX))
        .isEqualTo(new ImageRef.Parts("reg.io", "a:b/c", null, Digest.parse("sha256:" + HEX)));
    assertThat(ImageRef.split("web:")).isEqualTo(new ImageRef.Parts(null, "web:", null, null));
    assertThat(ImageRef.split("reg.io/web:").tag()).isEmpty();
    assertThatThrownBy(() -> ImageRef.split("  ")).hasMessage("empty image reference");
  }

  @Test
  void parse_withoutRegistryHost_refusesToGuessDockerHub() {
    assertThatThrownBy(() -> ImageRef.parse("library/web@sha256:" + HEX))
        .hasMessageContaining("names no registry host");
  }

  @Test
  void digest_shortForm() {
    assertThat(Digest.parse("sha256:" + HEX).shortForm()).isEqualTo("sha256:abababababab");
  }

  @Test
  void portBinding_parsesDockerSyntax() {
    assertThat(PortBinding.parse("80:8080")).isEqualTo(new PortBinding("", 80, 8080, "tcp"));
    assertThat(PortBinding.parse("127.0.0.1:18080:8080/udp"))
        .isEqualTo(new PortBinding("127.0.0.1", 18080, 8080, "udp"));
    assertThat(PortBinding.parse("0.0.0.0:80:8080").probeAddress()).isEqualTo("127.0.0.1");
    assertThatThrownBy(() -> PortBinding.parse("8080")).hasMessageContaining("[IP:]HOST:CONTAINER");
    assertThatThrownBy(() -> PortBinding.parse("80:70000")).hasMessageContaining("1..65535");
  }

  @Test
  void runSpec_toStringHidesEnvironmentValues() {
    ServiceSpec web = dev.driftguard.testing.Specs.web();
    RunSpec spec =
        RunSpec.render(
            web,
            ImageRef.parse("localhost:5000/web@sha256:" + HEX),
            java.util.Map.of("DB_PASSWORD", "hunter2"));
    assertThat(spec.toString()).doesNotContain("hunter2").contains("DB_PASSWORD");
    assertThat(spec.environment()).containsEntry("DB_PASSWORD", "hunter2");
  }
}
