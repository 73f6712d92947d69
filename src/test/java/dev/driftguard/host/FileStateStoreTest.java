package dev.driftguard.host;

import static dev.driftguard.testing.Specs.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceState;
import dev.driftguard.testing.JavaCommand;
import dev.driftguard.testing.LogCapture;
import dev.driftguard.testing.Tmpfs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreTest {
  private static final String THIS_INSTANCE = "i-0123456789abcdef0";
  private static final String OTHER_INSTANCE = "i-0fedcba9876543210";

  @TempDir Path dir;

  private static ServiceState inFlight() {
    return ServiceState.initial("web")
        .withLastKnownGood(image('1'))
        .withFailed(image('2').digest())
        .finished(
            DeployOutcome.ROLLED_BACK,
            Instant.parse("2026-01-01T00:00:00Z"),
            Duration.ofSeconds(42),
            "not healthy")
        .inPhase(
            Phase.HEALTH,
            image('3'),
            DeployPath.START_FIRST,
            Instant.parse("2026-01-01T00:01:00Z"));
  }

  private FileStateStore store() {
    return new FileStateStore(dir, THIS_INSTANCE);
  }

  @Test
  void save_thenLoadInNewStore_roundTrips() {
    ServiceState state = inFlight();
    store().save(state);
    store().save(ServiceState.initial("worker"));
    assertThat(store().load()).containsEntry("web", state).containsKey("worker");
    assertThat(dir.resolve("state.json.tmp")).doesNotExist();
  }

  @Test
  void save_recordsTheFormatAndThisInstance() throws IOException {
    store().save(inFlight());

    JsonNode file = new ObjectMapper().readTree(dir.resolve("state.json").toFile());
    assertThat(file.path("format").asInt()).isEqualTo(FileStateStore.FORMAT);
    assertThat(file.path("instanceId").asText()).isEqualTo(THIS_INSTANCE);
    assertThat(file.path("services").path("web").path("phase").asText()).isEqualTo("HEALTH");
  }

  @Test
  void load_whenWrittenOnAnotherInstance_discardsAllOfIt_withOneWarning() {
    new FileStateStore(dir, OTHER_INSTANCE).save(inFlight());
    new FileStateStore(dir, OTHER_INSTANCE).save(ServiceState.initial("worker"));

    try (LogCapture log = LogCapture.of(FileStateStore.class)) {
      assertThat(store().load()).isEmpty();

      assertThat(log.at("WARN"))
          .singleElement()
          .satisfies(
              line ->
                  assertThat(line)
                      .contains(OTHER_INSTANCE)
                      .contains(THIS_INSTANCE)
                      .contains("discarding"));
    }
  }

  @Test
  void save_afterDiscardingAnotherInstancesFile_replacesItWithThisInstancesState() {
    new FileStateStore(dir, OTHER_INSTANCE).save(inFlight());

    store().save(ServiceState.initial("worker"));

    assertThat(store().load()).containsOnlyKeys("worker");
  }

  @Test
  void load_formatOneWithoutInstanceId_isKept_soAnUpgradeLosesNothing() throws IOException {
    Files.writeString(
        dir.resolve("state.json"),
        """
        {
          "web": {"phase": "IDLE", "failed": "sha256:%s", "lastOutcome": "ROLLED_BACK"},
          "format": {"phase": "IDLE"}
        }
        """
            .formatted("2".repeat(64)));

    assertThat(store().load()).containsOnlyKeys("web", "format");
    assertThat(store().load().get("web").failed()).isEqualTo(image('2').digest());
  }

  @Test
  void load_unknownPhaseOrOutcomeInOneEntry_discardsOnlyThatEntry_andNamesIt() throws IOException {
    Files.writeString(
        dir.resolve("state.json"),
        """
        {"format": 2, "instanceId": "%s", "services": {
          "web": {"phase": "WARMUP"},
          "api": {"phase": "IDLE", "lastOutcome": "PARTIAL"},
          "worker": {"phase": "HEALTH", "target": "%s", "failed": "sha256:%s"}
        }}
        """
            .formatted(THIS_INSTANCE, image('3'), "2".repeat(64)));

    try (LogCapture log = LogCapture.of(FileStateStore.class)) {
      assertThat(store().load()).containsOnlyKeys("worker");

      assertThat(log.at("WARN")).hasSize(2);
      assertThat(log.at("WARN").get(0)).contains("service web").contains("phase 'WARMUP'");
      assertThat(log.at("WARN").get(1)).contains("service api").contains("lastOutcome 'PARTIAL'");
    }
  }

  @Test
  void load_unknownFormat_startsEmpty() throws IOException {
    Files.writeString(
        dir.resolve("state.json"),
        "{\"format\": 3, \"instanceId\": \"" + THIS_INSTANCE + "\", \"services\": {}}");

    assertThat(store().load()).isEmpty();
  }

  @Test
  void load_whenFileCorrupt_startsEmptyInsteadOfFailing() throws Exception {
    Files.writeString(dir.resolve("state.json"), "{not json");
    assertThat(store().load()).isEmpty();
  }

  @Test
  void load_whenNoFile_isEmpty() {
    assertThat(new FileStateStore(dir.resolve("missing"), THIS_INSTANCE).load()).isEmpty();
  }

  @Test
  void save_onReadOnlyFilesystem_throwsNotWritable_andSucceedsOnceWritableAgain()
      throws IOException {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("state"), "256k")) {
      FileStateStore store = new FileStateStore(fs.dir(), THIS_INSTANCE);
      store.save(ServiceState.initial("worker"));
      fs.remountReadOnly();

      assertThatThrownBy(() -> store.save(inFlight()))
          .isInstanceOfSatisfying(
              StateStoreException.class,
              e -> {
                assertThat(e.problem()).isEqualTo(StateStoreException.Problem.NOT_WRITABLE);
                assertThat(e.file()).isEqualTo(fs.dir().resolve("state.json"));
              })
          .hasMessageContaining(fs.dir().resolve("state.json").toString())
          .hasMessageContaining("Read-only file system")
          .hasMessageContaining("writable");

      fs.remountReadWrite();
      store.save(ServiceState.initial("api"));
      // What failed to save went to disk with the next save that succeeded.
      assertThat(new FileStateStore(fs.dir(), THIS_INSTANCE).load())
          .containsOnlyKeys("worker", "web", "api")
          .containsEntry("web", inFlight());
    }
  }

  @Test
  void save_onFullFilesystem_throwsFull_leavesTheOldFile_andSucceedsOnceSpaceIsFree()
      throws IOException {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("state"), "64k")) {
      FileStateStore store = new FileStateStore(fs.dir(), THIS_INSTANCE);
      store.save(ServiceState.initial("worker"));
      Path filler = fs.fill();

      assertThatThrownBy(() -> store.save(inFlight()))
          .isInstanceOfSatisfying(
              StateStoreException.class,
              e -> assertThat(e.problem()).isEqualTo(StateStoreException.Problem.FULL))
          .hasMessageContaining("No space left on device")
          .hasMessageContaining("free space");
      assertThat(new FileStateStore(fs.dir(), THIS_INSTANCE).load()).containsOnlyKeys("worker");
      assertThat(fs.dir().resolve("state.json.tmp")).doesNotExist();

      Files.delete(filler);
      store.save(ServiceState.initial("api"));
      assertThat(new FileStateStore(fs.dir(), THIS_INSTANCE).load())
          .containsOnlyKeys("worker", "web", "api");
    }
  }

  /**
   * The rename is made durable by an fsync of the directory after it, seen in the system calls of a
   * JVM that saves once (traced by strace; skipped where strace cannot trace).
   */
  @Test
  void save_fsyncsTheFileBeforeAndTheDirectoryAfterTheRename() throws Exception {
    Path trace = dir.resolve("trace");
    Path stateDir = dir.resolve("state");
    List<String> command =
        new ArrayList<>(
            List.of(
                "strace",
                "-f",
                "-qq",
                "-o",
                trace.toString(),
                "-e",
                "trace=openat,fsync,rename,renameat,renameat2"));
    command.addAll(JavaCommand.of(SaveOnce.class, stateDir.toString()));
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, "skipped: strace is not installed: " + e.getMessage());
      return;
    }
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the traced JVM finished").isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assumeTrue(
        !output.contains("ptrace") && !output.contains("Operation not permitted"),
        () -> "skipped: strace cannot trace here: " + output.strip());
    assertThat(process.exitValue()).as(output).isZero();

    // pid syscall(args) = result; a directory opened for reading, then fsync of that fd.
    Pattern open =
        Pattern.compile("^(\\d+)\\s+openat\\(AT_FDCWD, \"([^\"]+)\", ([^)]*)\\) = (\\d+)");
    Pattern fsync = Pattern.compile("^(\\d+)\\s+fsync\\((\\d+)\\)\\s+= 0");
    Pattern rename = Pattern.compile("^\\d+\\s+rename\\w*\\(.*\"([^\"]+state\\.json)\".*= 0");
    String dirPath = stateDir.toString();
    String tmpPath = stateDir.resolve("state.json.tmp").toString();
    List<String> events = new ArrayList<>();
    java.util.Map<String, String> fds = new java.util.HashMap<>();
    // Threads interleave: strace splits a call into "<unfinished ...>" and "<... X resumed>";
    // joined back here, so a loaded machine does not hide a call from the patterns above.
    List<String> lines = new ArrayList<>();
    java.util.Map<String, String> unfinished = new java.util.HashMap<>();
    Pattern cut = Pattern.compile("^(\\d+)\\s+(.*) <unfinished \\.\\.\\.>$");
    Pattern resumed = Pattern.compile("^(\\d+)\\s+<\\.\\.\\. \\w+ resumed>(.*)$");
    for (String line : Files.readAllLines(trace)) {
      Matcher c = cut.matcher(line);
      Matcher r = resumed.matcher(line);
      if (c.find()) {
        unfinished.put(c.group(1), c.group(2));
      } else if (r.find() && unfinished.containsKey(r.group(1))) {
        lines.add(r.group(1) + " " + unfinished.remove(r.group(1)) + r.group(2));
      } else {
        lines.add(line);
      }
    }
    for (String line : lines) {
      Matcher m = open.matcher(line);
      if (m.find()) {
        fds.put(m.group(1) + ":" + m.group(4), m.group(2));
        continue;
      }
      m = fsync.matcher(line);
      if (m.find()) {
        String path = fds.get(m.group(1) + ":" + m.group(2));
        if (dirPath.equals(path)) {
          events.add("fsync dir");
        } else if (tmpPath.equals(path)) {
          events.add("fsync tmp");
        }
        continue;
      }
      if (rename.matcher(line).find()) {
        events.add("rename");
      }
    }
    assertThat(events).containsSubsequence("fsync tmp", "rename", "fsync dir");
  }

  /** Saves one state into the folder given as the argument (the process {@code strace} runs). */
  static final class SaveOnce {
    public static void main(String[] args) {
      new FileStateStore(Path.of(args[0]), THIS_INSTANCE).save(ServiceState.initial("web"));
    }
  }
}
