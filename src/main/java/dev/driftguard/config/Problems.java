package dev.driftguard.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects every configuration error as {@code path: message} instead of stopping at the first, so
 * one run of {@code driftguard validate} lists everything to fix.
 */
final class Problems {
  private final List<String> errors = new ArrayList<>();

  /** Paths whose value came from interpolation, and how; errors there say so. */
  private final Map<String, String> interpolated = new HashMap<>();

  void add(String path, String message) {
    String note = interpolated.get(path);
    String where = path.isEmpty() ? "" : path + ": ";
    errors.add(where + message + (note == null ? "" : " " + note));
  }

  void noteInterpolated(String path, String note) {
    interpolated.put(path, note);
  }

  boolean isEmpty() {
    return errors.isEmpty();
  }

  int count() {
    return errors.size();
  }

  List<String> list() {
    return List.copyOf(errors);
  }
}
