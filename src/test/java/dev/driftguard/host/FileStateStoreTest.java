package dev.driftguard.host;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreTest {
  @TempDir Path dir;

  @Test
  void save_thenLoadInNewStore_roundTrips() {
    ServiceState state = ServiceState.initial("web")
        .withLastKnownGood(image('1'))
        .withFailed(image('2').digest())
        .finished(DeployOutcome.ROLLED_BACK, Instant.parse("2026-01-01T00:00:00Z"), Duration.ofSeconds(42), "not healthy")
        .inPhase(Phase.HEALTH, image('3'), dev.driftguard.model.DeployPath.START_FIRST, Instant.parse("2026-01-01T00:01:00Z"));
    new FileStateStore(dir).save(state);
    new FileStateStore(dir).save(ServiceState.initial("worker"));
    assertThat(new FileStateStore(dir).load()).containsEntry("web", state).containsKey("worker");
    assertThat(dir.resolve("state.json.tmp")).doesNotExist();
  }

  @Test
  void load_whenFileCorrupt_startsEmptyInsteadOfFailing() throws Exception {
    Files.writeString(dir.resolve("state.json"), "{not json");
    assertThat(new FileStateStore(dir).load()).isEmpty();
  }

  @Test
  void load_whenNoFile_isEmpty() {
    assertThat(new FileStateStore(dir.resolve("missing")).load()).isEmpty();
  }
}
