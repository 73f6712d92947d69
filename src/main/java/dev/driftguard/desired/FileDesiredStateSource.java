package dev.driftguard.desired;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads desired-state records from local files (local and development mode): each location is a
 * file path whose whole content is the record. A missing file has no record; a file that exists but
 * cannot be read makes the source unavailable, so the running container is left alone.
 *
 * <p>At most {@link #MAX_BYTES} are read: an oversized file yields its first bytes, which is enough
 * for {@link dev.driftguard.model.DesiredRecord} to reject it as oversized without the agent
 * holding an arbitrarily large file in memory. The version is the file's last-modified time in
 * milliseconds.
 */
public final class FileDesiredStateSource implements DesiredStateSource {
  /** 64 KiB: far more than any record and far less than anything that could hurt. */
  public static final int MAX_BYTES = 64 * 1024;

  @Override
  public Map<String, RawRecord> read(Collection<String> locations) {
    Map<String, RawRecord> records = new HashMap<>();
    for (String location : locations) {
      Path path = Path.of(location);
      try {
        // Modification time first: a write racing this read shows up as a newer version on
        // the next poll rather than as new content under an old version.
        long version = Files.getLastModifiedTime(path).toMillis();
        if (Files.isDirectory(path)) {
          throw new DesiredStateUnavailableException(
              "desired-state file " + path + " is a directory; point desired.file at a file",
              false,
              null);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
          bytes = in.readNBytes(MAX_BYTES);
        }
        records.put(location, new RawRecord(new String(bytes, StandardCharsets.UTF_8), version));
      } catch (NoSuchFileException e) {
        // No record: DesiredRecord reports it as MISSING.
      } catch (IOException e) {
        throw new DesiredStateUnavailableException(
            "cannot read desired-state file "
                + path
                + ": "
                + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + e.getMessage()),
            false,
            e);
      }
    }
    return Map.copyOf(records);
  }
}
