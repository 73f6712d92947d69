package dev.driftguard.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Replaces {@code ${tag:KEY}} and {@code ${env:NAME}} in configuration values; {@code
 * ${...:-fallback}} supplies a value when the tag or variable is absent and {@code $${} writes a
 * literal {@code ${}. In validate mode ({@code tags == null}) tags are not read: each {@code
 * ${tag:KEY}} stands in as {@code tag-KEY}, which passes as a service name, so a file meant for
 * any instance validates on a laptop.
 */
final class Interpolator {
  private final Map<String, String> environment;
  private final TagLookup tags;
  private final Map<String, Optional<String>> tagCache = new HashMap<>();

  Interpolator(Map<String, String> environment, TagLookup tags) {
    this.environment = Map.copyOf(environment);
    this.tags = tags;
  }

  /** The interpolated value, or null after reporting the problems at {@code path}. */
  String resolve(String raw, String path, Problems problems) {
    return resolve(raw, path, problems, false);
  }

  /**
   * The interpolated value, or null after reporting the problems at {@code path}.
   *
   * @param inPath the value is (part of) a file path or an SSM parameter name: each tag value must
   *     then be one path segment ({@link #pathSegmentProblem}), so whoever can tag the instance
   *     cannot point the agent at another folder or parameter tree
   */
  String resolve(String raw, String path, Problems problems, boolean inPath) {
    if (!raw.contains("${")) {
      return raw;
    }
    StringBuilder out = new StringBuilder();
    boolean ok = true;
    boolean standIn = false;
    int i = 0;
    while (i < raw.length()) {
      if (raw.startsWith("$${", i)) {
        out.append("${");
        i += 3;
        continue;
      }
      if (!raw.startsWith("${", i)) {
        out.append(raw.charAt(i++));
        continue;
      }
      int end = raw.indexOf('}', i);
      if (end < 0) {
        problems.add(path, "unclosed '${' in '" + raw + "' (write $${ for a literal ${)");
        return null;
      }
      String expression = raw.substring(i + 2, end);
      i = end + 1;
      String fallback = null;
      int dash = expression.indexOf(":-");
      if (dash >= 0) {
        fallback = expression.substring(dash + 2);
        expression = expression.substring(0, dash);
      }
      int colon = expression.indexOf(':');
      String kind = colon < 0 ? "" : expression.substring(0, colon);
      String key = colon < 0 ? "" : expression.substring(colon + 1);
      if (!List.of("tag", "env").contains(kind) || key.isEmpty()) {
        problems.add(
            path,
            "'${" + expression + "}' is not an interpolation (use ${tag:KEY} or ${env:NAME})");
        ok = false;
        continue;
      }
      if (kind.equals("env")) {
        String value = environment.get(key);
        if (value == null && fallback == null) {
          problems.add(path, "environment variable '" + key + "' is not set");
          ok = false;
        } else {
          out.append(value != null ? value : fallback);
        }
        continue;
      }
      if (tags == null) {
        out.append("tag-").append(key.replaceAll("[^A-Za-z0-9_.-]", "-"));
        standIn = true;
        continue;
      }
      Optional<String> value = lookUp(key, path, problems);
      if (value == null) {
        ok = false;
      } else if (value.isPresent()) {
        String problem = inPath ? pathSegmentProblem(value.get()) : null;
        if (problem != null) {
          problems.add(
              path,
              "instance tag '"
                  + key
                  + "' is '"
                  + printable(value.get())
                  + "', which cannot go into a path: "
                  + problem
                  + " (a tag value in a path must be one path segment: no '/', '\\', ':',"
                  + " NUL or control characters, and not '.' or '..')");
          ok = false;
        } else {
          out.append(value.get());
        }
      } else if (fallback != null) {
        out.append(fallback);
      } else {
        problems.add(
            path, "instance tag '" + key + "' is not set (or instance metadata tags are off)");
        ok = false;
      }
    }
    if (!ok) {
      return null;
    }
    String result = out.toString();
    problems.noteInterpolated(
        path,
        standIn
            ? "(validated with stand-ins for the tags in '"
                + raw
                + "'; the instance's tag values are checked at start-up)"
            : "(from '" + raw + "')");
    return result;
  }

  /**
   * Why {@code value} cannot stand for one segment of a path (null when it can): a separator
   * ({@code /} or a backslash), a volume field separator ({@code :}), a NUL or control character,
   * or a segment that moves up or stays ({@code ..}, {@code .}, empty).
   */
  static String pathSegmentProblem(String value) {
    if (value.isEmpty()) {
      return "it is empty";
    }
    if (value.equals(".") || value.equals("..")) {
      return value.equals("..")
          ? "'..' climbs out of the folder it is written in"
          : "'.' is the folder itself, not a name";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '/' || c == '\\') {
        return "it contains a path separator '" + c + "'";
      }
      if (c == ':') {
        return "it contains ':', which separates the fields of a volume";
      }
      if (c == 0) {
        return "it contains a NUL character";
      }
      if (Character.isISOControl(c)) {
        return "it contains a control character";
      }
    }
    return null;
  }

  /** {@code value} with control characters as Java escapes (backslash, u, 4 hex), for a message. */
  private static String printable(String value) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.length() && out.length() < 200; i++) {
      char c = value.charAt(i);
      out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : c);
    }
    return out.toString();
  }

  /** The tag, asked once per key; null when the lookup itself failed (reported). */
  private Optional<String> lookUp(String key, String path, Problems problems) {
    Optional<String> cached = tagCache.get(key);
    if (cached != null) {
      return cached;
    }
    Optional<String> value;
    try {
      value = tags.tag(key);
    } catch (RuntimeException e) {
      // The caller's lookup talks to IMDS or EC2; its failure is a config error at this path.
      problems.add(path, "could not read instance tag '" + key + "': " + e.getMessage());
      return null;
    }
    value = value == null ? Optional.empty() : value;
    tagCache.put(key, value);
    return value;
  }
}
