package dev.driftguard.operator;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** How the operator commands write digests, ages and durations, and quote shell words. */
final class Text {
  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{12,}");
  private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:@=+,-]+");

  private Text() {}

  /**
   * The first 12 hex characters of a digest, as {@code docker images} shows them: enough to tell
   * digests apart in a table. Anything that is not a sha256 digest is shown abbreviated as it is.
   */
  static String shortDigest(String digest) {
    if (digest == null || digest.isBlank()) {
      return Table.NONE;
    }
    if (SHA256.matcher(digest).matches()) {
      return digest.substring("sha256:".length(), "sha256:".length() + 12);
    }
    return digest.length() <= 20 ? digest : digest.substring(0, 19) + "…";
  }

  /**
   * How long ago {@code then} was, e.g. {@code 45s ago}, {@code 3m ago}, {@code 2h5m ago}. A time
   * in the future (the host's clock is ahead) reads {@code just now} rather than a negative age.
   */
  static String age(Instant then, Instant now) {
    if (then == null) {
      return Table.NONE;
    }
    Duration d = Duration.between(then, now);
    if (d.getSeconds() < 1) {
      return "just now";
    }
    return compact(d) + " ago";
  }

  /** {@code 45s}, {@code 3m}, {@code 2h5m}, {@code 3d4h}: two units at most, truncated. */
  static String compact(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m" + (s % 60 == 0 || s >= 600 ? "" : (s % 60) + "s");
    }
    if (s < 86_400) {
      return (s / 3600) + "h" + ((s % 3600) / 60 == 0 ? "" : ((s % 3600) / 60) + "m");
    }
    return (s / 86_400) + "d" + ((s % 86_400) / 3600 == 0 ? "" : ((s % 86_400) / 3600) + "h");
  }

  /** A deploy's duration: {@code 12.3s} under a minute, else {@link #compact}. */
  static String seconds(double seconds) {
    if (seconds < 60) {
      return String.format(java.util.Locale.ROOT, "%.1fs", seconds);
    }
    return compact(Duration.ofMillis(Math.round(seconds * 1000)));
  }

  /** An ISO-8601 instant, or null when absent or unreadable (a table shows {@code -}). */
  static Instant instant(String iso) {
    if (iso == null || iso.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(iso.strip());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** {@code word} as one POSIX shell word: unchanged when safe, else single-quoted. */
  static String shellWord(String word) {
    if (SHELL_SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
