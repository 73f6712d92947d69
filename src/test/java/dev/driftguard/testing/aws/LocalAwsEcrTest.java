package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.ImageDetail;
import software.amazon.awssdk.services.ecr.model.ImageIdentifier;
import software.amazon.awssdk.services.ecr.model.ImageNotFoundException;
import software.amazon.awssdk.services.ecr.model.RepositoryNotFoundException;

/** Pins ECR {@code DescribeImages} of {@link LocalAws} (what {@code driftguard pin} needs). */
class LocalAwsEcrTest {
  private static final String REPO = "driftguard-test/web";
  private static final String V1 = "sha256:" + "1".repeat(64);
  private static final String V2 = "sha256:" + "2".repeat(64);

  private LocalAws aws;
  private AwsClients clients;
  private EcrClient ecr;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    ecr = clients.ecr();
    aws.ecr().putImage(REPO, "v1", V1);
    aws.ecr().putImage(REPO, "v2", V2);
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  @Test
  void describeImages_byTag_resolvesTheDigest() {
    ImageDetail detail =
        ecr.describeImages(
                b ->
                    b.repositoryName(REPO)
                        .imageIds(ImageIdentifier.builder().imageTag("v2").build()))
            .imageDetails()
            .get(0);

    assertThat(detail.imageDigest()).isEqualTo(V2);
    assertThat(detail.imageTags()).containsExactly("v2");
    assertThat(detail.repositoryName()).isEqualTo(REPO);
    assertThat(detail.registryId()).isEqualTo("123456789012");
    assertThat(detail.imagePushedAt()).isNotNull();
  }

  @Test
  void describeImages_byDigest_confirmsItExists_andUnknownOnesAreImageNotFound() {
    assertThat(
            ecr.describeImages(
                    b ->
                        b.repositoryName(REPO)
                            .imageIds(ImageIdentifier.builder().imageDigest(V1).build()))
                .imageDetails())
        .extracting(ImageDetail::imageDigest)
        .containsExactly(V1);
    assertThatThrownBy(
            () ->
                ecr.describeImages(
                    b ->
                        b.repositoryName(REPO)
                            .imageIds(ImageIdentifier.builder().imageTag("v9").build())))
        .isInstanceOf(ImageNotFoundException.class)
        .hasMessageContaining("v9");
    assertThatThrownBy(
            () ->
                ecr.describeImages(
                    b ->
                        b.repositoryName(REPO)
                            .imageIds(
                                ImageIdentifier.builder()
                                    .imageDigest("sha256:" + "3".repeat(64))
                                    .build())))
        .isInstanceOf(ImageNotFoundException.class);
  }

  @Test
  void describeImages_unknownRepository_isRepositoryNotFound() {
    assertThatThrownBy(() -> ecr.describeImages(b -> b.repositoryName("nope")))
        .isInstanceOf(RepositoryNotFoundException.class)
        .hasMessageContaining("nope");
  }

  @Test
  void pushingATagAgain_movesIt() {
    aws.ecr().putImage(REPO, "v1", V2);

    assertThat(aws.ecr().digestOf(REPO, "v1")).contains(V2);
    assertThat(ecr.describeImages(b -> b.repositoryName(REPO)).imageDetails())
        .filteredOn(d -> d.imageDigest().equals(V1))
        .singleElement()
        .satisfies(d -> assertThat(d.hasImageTags()).isFalse());
    assertThat(
            ecr.describeImages(b -> b.repositoryName(REPO).filter(f -> f.tagStatus("UNTAGGED")))
                .imageDetails())
        .extracting(ImageDetail::imageDigest)
        .containsExactly(V1);
  }

  @Test
  void registerTestEnvImages_readsTheEnvironmentFile(@TempDir Path dir) throws Exception {
    Path env = dir.resolve("env.properties");
    Files.writeString(
        env,
        "registry.host=123456789012.dkr.ecr.us-east-1.amazonaws.com\n"
            + "image.repository=123456789012.dkr.ecr.us-east-1.amazonaws.com/driftguard-test/app\n"
            + "image.v1.digest="
            + V1
            + "\nimage.v1.ref=ignored\nimage.unhealthy.digest="
            + V2
            + "\n");

    assertThat(aws.ecr().registerTestEnvImages(env)).containsExactlyInAnyOrder("v1", "unhealthy");
    assertThat(aws.ecr().digestOf("driftguard-test/app", "unhealthy")).contains(V2);
    assertThat(aws.ecr().registerTestEnvImages(dir.resolve("missing"))).isEmpty();
  }
}
