package dev.driftguard.config;

import dev.driftguard.model.InvalidValueException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them: {@code 500ms}, {@code 15s}, {@code 2m}, {@code 1h}, or a
 * combination from the largest unit down ({@code 1m30s}). A plain number is rejected because nobody
 * can tell whether {@code 30} meant seconds or milliseconds.
 */
public final class Durations {
  private static final Pattern DURATION =
      Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");
  static final String HINT = "use 500ms, 15s, 2m, 1h";

  private Durations() {}

  /**
   * Parses {@code value}.
   *
   * @throws InvalidValueException saying what is wrong and how to write it
   */
  public static Duration parse(String value) {
    String text = value == null ? "" : value.strip();
    if (text.matches("\\d+")) {
      throw new InvalidValueException(
          "'" + text + "' has no unit (write " + text + "s or " + text + "ms)");
    }
    Matcher m = DURATION.matcher(text);
    if (text.isEmpty() || !m.matches()) {
      throw new InvalidValueException("'" + text + "' is not a duration (" + HINT + ")");
    }
    try {
      Duration result = Duration.ZERO;
      if (m.group(1) != null) {
        result = result.plusHours(Long.parseLong(m.group(1)));
      }
      if (m.group(2) != null) {
        result = result.plusMinutes(Long.parseLong(m.group(2)));
      }
      if (m.group(3) != null) {
        result = result.plusSeconds(Long.parseLong(m.group(3)));
      }
      if (m.group(4) != null) {
        result = result.plusMillis(Long.parseLong(m.group(4)));
      }
      return result;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new InvalidValueException("'" + text + "' is too long a duration");
    }
  }

  /** One wording for every upper bound: {@code 5m is above the maximum of 4m (why)}. */
  static String aboveMaximum(Duration value, Duration max, String why) {
    return format(value) + " is above the maximum of " + format(max) + " (" + why + ")";
  }

  /** The shortest form {@link #parse} reads back, e.g. {@code 1m30s}, {@code 500ms}, {@code 0s}. */
  public static String format(Duration duration) {
    if (duration.isZero()) {
      return "0s";
    }
    StringBuilder text = new StringBuilder();
    long hours = duration.toHours();
    int minutes = duration.toMinutesPart();
    int seconds = duration.toSecondsPart();
    int millis = duration.toMillisPart();
    if (hours > 0) {
      text.append(hours).append('h');
    }
    if (minutes > 0) {
      text.append(minutes).append('m');
    }
    if (seconds > 0) {
      text.append(seconds).append('s');
    }
    if (millis > 0) {
      text.append(millis).append("ms");
    }
    return text.toString();
  }
}
