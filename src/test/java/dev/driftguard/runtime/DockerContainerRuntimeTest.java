package dev.driftguard.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.RegistryCredential;
import org.junit.jupiter.api.Test;

/** The adapter's pure parts: reading engine messages and signals. The rest runs in the IT. */
class DockerContainerRuntimeTest {

  @Test
  void imageAlreadyGone_whenNotFound_orRemovedByAnotherProcessMeanwhile() {
    assertThat(DockerContainerRuntime.imageAlreadyGone(404, "No such image: sha256:ab")).isTrue();
    // Two processes removing the same image: the loser gets a 500, not a 404 (engine 20.10).
    assertThat(
            DockerContainerRuntime.imageAlreadyGone(
                500, "Status 500: {\"message\":\"unrecognized image ID sha256:ab12\"}"))
        .isTrue();
    assertThat(DockerContainerRuntime.imageAlreadyGone(500, "driver failed removing layers"))
        .isFalse();
    assertThat(DockerContainerRuntime.imageAlreadyGone(409, "image is being used")).isFalse();
    assertThat(DockerContainerRuntime.imageAlreadyGone(500, null)).isFalse();
  }

  @Test
  void isUnauthorized_whenStatusIs401or403_isTrue() {
    assertThat(DockerContainerRuntime.isUnauthorized(401, "")).isTrue();
    assertThat(DockerContainerRuntime.isUnauthorized(403, "")).isTrue();
  }

  @Test
  void isUnauthorized_readsTheEnginesWordsForARefusal() {
    assertThat(DockerContainerRuntime.isUnauthorized(500, "unauthorized: authentication required"))
        .isTrue();
    assertThat(
            DockerContainerRuntime.isUnauthorized(
                500, "Head \"https://r/v2/web/manifests/x\": no basic auth credentials"))
        .isTrue();
    assertThat(DockerContainerRuntime.isUnauthorized(500, "denied: requested access is denied"))
        .isTrue();
    assertThat(
            DockerContainerRuntime.isUnauthorized(
                500, "received unexpected HTTP status: 403 Forbidden"))
        .isTrue();
  }

  @Test
  void isUnauthorized_whenManifestUnknown_isFalse_evenIfTheDigestContains401() {
    String digest = "sha256:4010000000000000000000000000000000000000000000000000000000000403";

    assertThat(
            DockerContainerRuntime.isUnauthorized(
                404, "manifest for r/web@" + digest + " not found: manifest unknown"))
        .isFalse();
  }

  @Test
  void engineMessage_neverShowsThePassword() {
    RegistryCredential credential = new RegistryCredential("r", "AWS", "s3cr3t-token", null);

    String message =
        DockerContainerRuntime.engineMessage(
            new IllegalStateException("login with s3cr3t-token failed"), credential);

    assertThat(message).doesNotContain("s3cr3t-token").contains("<redacted>");
  }

  @Test
  void sameSignal_comparesNamesWithOrWithoutPrefixAndNumbers() {
    assertThat(DockerContainerRuntime.sameSignal("SIGTERM", "TERM")).isTrue();
    assertThat(DockerContainerRuntime.sameSignal("sigterm", "15")).isTrue();
    assertThat(DockerContainerRuntime.sameSignal("SIGINT", "SIGTERM")).isFalse();
  }
}
