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

  /** Paths whose value a drop-in file set, and which file; errors at or below them say so. */
  private final Map<String, String> sources = new HashMap<>();

  void add(String path, String message) {
    String note = interpolated.get(path);
    String source = sourceOf(path);
    String where = path.isEmpty() ? "" : path + ": ";
    errors.add(
        where
            + message
            + (note == null ? "" : " " + note)
            + (source == null ? "" : " (set in " + source + ")"));
  }

  void noteInterpolated(String path, String note) {
    interpolated.put(path, note);
  }

  void noteSource(String path, String source) {
    sources.put(path, source);
  }

  /**
   * The file that set {@code path} or the nearest enclosing path ({@code a.b[0].c}, {@code a.b}).
   */
  private String sourceOf(String path) {
    for (String p = path; !p.isEmpty(); ) {
      String source = sources.get(p);
      if (source != null) {
        return source;
      }
      p = p.substring(0, Math.max(0, Math.max(p.lastIndexOf('.'), p.lastIndexOf('['))));
    }
    return null;
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
