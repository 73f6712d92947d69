package dev.driftguard.desired;

import java.util.Collection;
import java.util.Map;

/**
 * Port: reads raw desired-state records. Parsing and validation are not the source's business
 * ({@link dev.driftguard.model.DesiredRecord} does it the same way for every source).
 */
public interface DesiredStateSource {

  /**
   * Reads the records at {@code locations} (SSM parameter names or file paths) in as few calls as
   * the backend allows.
   *
   * @return a value per location that exists; a location with no record is absent from the map
   * @throws DesiredStateUnavailableException when the backend cannot be read this time
   */
  Map<String, RawRecord> read(Collection<String> locations);

  /** A record's value and the backend's version of it (SSM parameter version, or 0). */
  record RawRecord(String value, long version) {}
}
