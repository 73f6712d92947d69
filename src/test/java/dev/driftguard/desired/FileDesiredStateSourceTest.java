package dev.driftguard.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.desired.DesiredStateSource.RawRecord;
import dev.driftguard.model.DesiredRecord;
import dev.driftguard.model.DesiredState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDesiredStateSourceTest {
  private static final String IMAGE =
      "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "b".repeat(64);

  @TempDir Path dir;
  private final FileDesiredStateSource source = new FileDesiredStateSource();

  @Test
  void read_returnsContentAndModificationTimeAsVersion() throws IOException {
    Path file = dir.resolve("web_staging");
    Files.writeString(file, IMAGE + "\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2030-01-02T03:04:05.678Z")));

    Map<String, RawRecord> records = source.read(List.of(file.toString()));

    assertThat(records)
        .containsExactly(
            Map.entry(
                file.toString(),
                new RawRecord(
                    IMAGE + "\n", Instant.parse("2030-01-02T03:04:05.678Z").toEpochMilli())));
  }

  @Test
  void read_missingFile_isAbsent() {
    assertThat(
            source.read(
                List.of(dir.resolve("nope").toString(), dir.resolve("no/such/dir").toString())))
        .isEmpty();
  }

  @Test
  void read_directory_isUnavailable() {
    assertThatThrownBy(() -> source.read(List.of(dir.toString())))
        .isInstanceOfSatisfying(
            DesiredStateUnavailableException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageContaining("is a directory");
  }

  @Test
  void read_oversizedFile_yieldsItsFirst64KiB_whichTheRecordRejects() throws IOException {
    Path file = dir.resolve("huge");
    Files.writeString(file, "x".repeat(1024 * 1024));

    RawRecord record = source.read(List.of(file.toString())).get(file.toString());

    assertThat(record.value()).hasSize(FileDesiredStateSource.MAX_BYTES);
    assertThat(DesiredRecord.parse(record.value(), record.version(), Set.of()))
        .isInstanceOfSatisfying(
            DesiredState.Rejected.class,
            r -> assertThat(r.reason()).isEqualTo(DesiredState.RejectReason.OVERSIZED));
  }
}
