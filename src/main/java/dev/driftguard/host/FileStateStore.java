package dev.driftguard.host;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state file ({@code <stateDir>/state.json}), written atomically: a temporary file is written
 * and fsynced, renamed over the old one, and the directory is fsynced so the rename itself survives
 * a power loss. A crash at any moment leaves either the old or the new content. Holds no secrets.
 *
 * <p>The file records the instance it was written on. A file from another instance (baked into an
 * AMI, or a volume moved between hosts) is discarded whole at {@link #load}, with one log line, as
 * the ECS agent does with its checkpoint: its failed digests and in-flight phase are facts about
 * another host's containers. A file without an instance id (written by an agent before this format)
 * is kept, so an upgrade loses nothing; the next save records the id.
 *
 * <p>One service's unreadable entry (an unknown phase or outcome written by a newer agent, a value
 * that no longer parses) discards that entry only, logged with the service's name.
 */
public final class FileStateStore implements StateStore {
  private static final Logger logger = LoggerFactory.getLogger(FileStateStore.class);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  /**
   * Version of the file's layout. 1 (implicit, no {@code format} key): a map of service to entry.
   * 2: {@code {"format": 2, "instanceId": "i-…", "services": {service: entry}}}.
   */
  static final int FORMAT = 2;

  private final Path file;
  private final String instanceId;
  private final Map<String, ServiceState> cache = new TreeMap<>();
  private boolean loaded;

  /**
   * @param stateDir the agent's state directory ({@code agent.stateDir})
   * @param instanceId this instance; a file written on another one is discarded
   */
  public FileStateStore(Path stateDir, String instanceId) {
    this.file = stateDir.resolve("state.json");
    if (instanceId == null || instanceId.isBlank()) {
      throw new IllegalArgumentException("the state store needs this instance's id");
    }
    this.instanceId = instanceId;
  }

  /** One service's entry as stored: plain strings, so the format is stable and readable. */
  record Entry(
      String phase,
      String target,
      String lastKnownGood,
      String failed,
      String phaseSince,
      String lastOutcome,
      String lastDeployAt,
      Long lastDeployMillis,
      String lastError,
      String path) {}

  /** The file's layout (format 2). */
  record StateFile(int format, String instanceId, Map<String, Entry> services) {}

  @Override
  public synchronized Map<String, ServiceState> load() {
    loaded = true;
    cache.clear();
    if (!Files.exists(file)) {
      return Map.of();
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException | RuntimeException e) {
      // A corrupt state file must not keep the agent down: observation of the containers
      // (by label) still tells what runs; only the failed-digest memory is lost.
      logger.warn(
          "state file {} is unreadable, starting from observed state only: {}",
          file,
          e.getMessage());
      return Map.of();
    }
    if (root == null || !root.isObject()) {
      logger.warn("state file {} is not a JSON object, starting from observed state only", file);
      return Map.of();
    }
    JsonNode services = root;
    // Format 1's values are all entries (objects); a number under "format" marks a later format.
    if (root.path("format").isNumber()) {
      int format = root.path("format").asInt();
      if (format != FORMAT) {
        logger.warn(
            "state file {} has format {}, which this agent does not know (it writes {}):"
                + " starting from observed state only",
            file,
            root.path("format").asText(),
            FORMAT);
        return Map.of();
      }
      String writtenOn = root.path("instanceId").asText(null);
      if (writtenOn != null && !writtenOn.equals(instanceId)) {
        logger.warn(
            "state file {} was written on instance {}, not on this one ({}): discarding it"
                + " (a state file baked into an image or moved from another host must not carry"
                + " its failed digests or a deploy in flight here)",
            file,
            writtenOn,
            instanceId);
        return Map.of();
      }
      services = root.path("services");
    }
    Iterator<Map.Entry<String, JsonNode>> fields = services.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String service = field.getKey();
      try {
        Entry entry = JSON.treeToValue(field.getValue(), Entry.class);
        cache.put(service, fromEntry(service, entry));
      } catch (IOException | RuntimeException e) {
        logger.warn(
            "state of service {} in {} is unreadable, discarding that service's entry only"
                + " (it starts from its observed containers): {}",
            service,
            file,
            e.getMessage());
      }
    }
    return Map.copyOf(cache);
  }

  /**
   * {@inheritDoc}
   *
   * @throws StateStoreException when the file cannot be written (read-only or full directory); the
   *     state stays in memory and goes to disk with the next save that succeeds
   */
  @Override
  public synchronized void save(ServiceState state) {
    if (!loaded) {
      // The file holds every service: read it first so saving one keeps the others.
      load();
    }
    cache.put(state.service(), state);
    Map<String, Entry> entries = new TreeMap<>();
    cache.forEach((service, s) -> entries.put(service, toEntry(s)));
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      byte[] bytes = JSON.writeValueAsBytes(new StateFile(FORMAT, instanceId, entries));
      try (FileChannel channel =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      syncDirectory(file.getParent());
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw StateStoreException.saving(file, e);
    }
  }

  /**
   * Makes the rename durable: on Linux a rename lives in the directory, which has its own dirty
   * pages. Opening a directory for reading and forcing it is what {@code fsync(dirfd)} does.
   */
  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static void deleteQuietly(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      // A full or read-only directory may refuse this too; the next save overwrites it.
      logger.debug("cannot remove {}: {}", tmp, e.getMessage());
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
    Objects.requireNonNull(e, "the entry is null");
    return new ServiceState(
        service,
        e.phase() == null ? Phase.IDLE : known(Phase.class, e.phase(), "phase"),
        e.target() == null ? null : ImageRef.parse(e.target()),
        e.lastKnownGood() == null ? null : ImageRef.parse(e.lastKnownGood()),
        e.failed() == null ? null : Digest.parse(e.failed()),
        e.phaseSince() == null ? null : Instant.parse(e.phaseSince()),
        e.lastOutcome() == null ? null : known(DeployOutcome.class, e.lastOutcome(), "lastOutcome"),
        e.lastDeployAt() == null ? null : Instant.parse(e.lastDeployAt()),
        e.lastDeployMillis() == null ? null : Duration.ofMillis(e.lastDeployMillis()),
        e.lastError(),
        e.path() == null ? null : known(DeployPath.class, e.path(), "path"));
  }

  /** {@code Enum.valueOf} with a message that names the field and the value. */
  private static <E extends Enum<E>> E known(Class<E> type, String value, String field) {
    try {
      return Enum.valueOf(type, value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown " + field + " '" + value + "' (written by another version of the agent?)", e);
    }
  }
}
