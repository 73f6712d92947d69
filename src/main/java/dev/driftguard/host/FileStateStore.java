package dev.driftguard.host;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.Digest;
import dev.driftguard.model.DriftguardException;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceState;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state file ({@code <stateDir>/state.json}), written atomically: a temporary file is
 * written and fsynced, then renamed over the old one, so a crash (or power loss) at any moment
 * leaves either the old or the new content. Holds no secrets.
 */
public final class FileStateStore implements StateStore {
  private static final Logger logger = LoggerFactory.getLogger(FileStateStore.class);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private final Path file;
  private final Map<String, ServiceState> cache = new TreeMap<>();
  private boolean loaded;

  public FileStateStore(Path stateDir) {
    this.file = stateDir.resolve("state.json");
  }

  /** One service's entry as stored: plain strings, so the format is stable and readable. */
  record Entry(
      String phase, String target, String lastKnownGood, String failed, String phaseSince,
      String lastOutcome, String lastDeployAt, Long lastDeployMillis, String lastError, String path) {}

  @Override
  public synchronized Map<String, ServiceState> load() {
    loaded = true;
    cache.clear();
    if (!Files.exists(file)) {
      return Map.of();
    }
    try {
      Map<String, Entry> entries = JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Entry>>() {});
      entries.forEach((service, e) -> cache.put(service, fromEntry(service, e)));
    } catch (IOException | RuntimeException e) {
      // A corrupt state file must not keep the agent down: observation of the containers
      // (by label) still tells what runs; only the failed-digest memory is lost.
      logger.warn("state file {} is unreadable, starting from observed state only: {}", file, e.getMessage());
      cache.clear();
    }
    return Map.copyOf(cache);
  }

  @Override
  public synchronized void save(ServiceState state) {
    if (!loaded) {
      // The file holds every service: read it first so saving one keeps the others.
      load();
    }
    cache.put(state.service(), state);
    Map<String, Entry> entries = new TreeMap<>();
    cache.forEach((service, s) -> entries.put(service, toEntry(s)));
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, JSON.writeValueAsBytes(entries));
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new DriftguardException("cannot write state file " + file + ": " + e.getMessage(), e);
    }
  }

  private static Entry toEntry(ServiceState s) {
    return new Entry(
        s.phase().name(),
        s.target() == null ? null : s.target().toString(),
        s.lastKnownGood() == null ? null : s.lastKnownGood().toString(),
        s.failed() == null ? null : s.failed().value(),
        s.phaseSince() == null ? null : s.phaseSince().toString(),
        s.lastOutcome() == null ? null : s.lastOutcome().name(),
        s.lastDeployAt() == null ? null : s.lastDeployAt().toString(),
        s.lastDeployDuration() == null ? null : s.lastDeployDuration().toMillis(),
        s.lastError(),
        s.path() == null ? null : s.path().name());
  }

  private static ServiceState fromEntry(String service, Entry e) {
    return new ServiceState(
        service,
        e.phase() == null ? Phase.IDLE : Phase.valueOf(e.phase()),
        e.target() == null ? null : ImageRef.parse(e.target()),
        e.lastKnownGood() == null ? null : ImageRef.parse(e.lastKnownGood()),
        e.failed() == null ? null : Digest.parse(e.failed()),
        e.phaseSince() == null ? null : Instant.parse(e.phaseSince()),
        e.lastOutcome() == null ? null : DeployOutcome.valueOf(e.lastOutcome()),
        e.lastDeployAt() == null ? null : Instant.parse(e.lastDeployAt()),
        e.lastDeployMillis() == null ? null : Duration.ofMillis(e.lastDeployMillis()),
        e.lastError(),
        e.path() == null ? null : DeployPath.valueOf(e.path()));
  }
}
